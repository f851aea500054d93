/// Word lists the text generators draw from. Real code and prose reuse a small vocabulary heavily, which is what
/// gives them their 3-6x gzip ratios; random letters would compress far less and make benchmarks meaningless.
enum Vocabulary {
    /// Words that make up identifiers, ordered roughly from most to least common (generators pick with a skew).
    static let programmingWords: [String] = words("""
        id name value data item index count result error state config user key type list map path file size
        request response handler service client server context options event message status token session cache
        buffer node entry record field table query store model view controller manager builder factory provider
        parser writer reader stream channel queue task job worker pool timer interval limit offset length total
        source target input output format schema version header body payload content text line column row cell
        account profile email password role permission group team project workspace repo branch commit tag release
        build deploy test spec mock fixture setup teardown start stop run execute apply update create delete remove
        insert fetch load save read write open close parse encode decode serialize validate check verify compute
        render draw layout style theme color font image icon button label input form field modal dialog menu page
        route router link url host port address socket connection transport protocol retry backoff timeout deadline
        metric counter gauge histogram trace span log logger level debug info warn fatal filter sort merge split
        chunk block frame packet batch segment window range min max sum avg mean delta diff patch hash digest
        signature cert secret credential auth login logout refresh expire valid invalid pending active enabled
        disabled visible hidden selected current previous next first last parent child children root tree graph
        edge vertex weight score rank label tensor matrix vector shape dim layer loss optimizer epoch step rate
        price order invoice payment cart product customer address shipment inventory warehouse supplier discount
        """)

    /// Everyday English for comments, Markdown and chat history, most common words first.
    static let proseWords: [String] = words("""
        the a to of and in is for that this it with be on as are we not by if can when should from will or an
        use which all but one more it's new only so each also then have has been than into other just about
        need make sure because before after while where there how what some any like time first set up get
        used without change changes return returns value values case cases call calls called function method
        type types file files data user users test tests check error errors run build code support add adds
        added remove fix fixed handle handles default option options list make makes keep keeps order same
        way does doesn't don't want note see also already still always never every both either between
        within across over under again once here now later soon instead rather since until though even much
        many most few less least better best good bad large small big long short high low full empty next
        last previous current simple easy hard quick slow fast safe unsafe correct wrong true false known
        expected actual missing invalid valid important necessary possible available required optional
        example following above below section step steps guide setup install configure update upgrade release
        project repository branch commit merge review issue request feature bug performance memory disk network
        server client api endpoint database query cache config environment variable path directory command line
        output input format version dependency package module library framework tool script service system
        """)

    /// Capitalised words for type names and titles.
    static let typeWords: [String] = words("""
        User Account Session Token Cache Request Response Handler Service Client Server Context Options Event
        Message Status Config Store Model View Controller Manager Builder Factory Provider Parser Writer Reader
        Stream Channel Queue Task Job Worker Pool Timer Record Entry Node Tree Graph Schema Format Header Payload
        Profile Project Workspace Repository Branch Commit Release Deploy Metric Trace Span Logger Filter Route
        Router Connection Transport Policy Rule Plan Report Summary Result Error State Action Reducer Store Item
        Order Invoice Payment Cart Product Customer Address Inventory Layer Tensor Dataset Batch Loader Trainer
        """)

    /// Package or crate names for imports and lock files.
    static let packageWords: [String] = words("""
        react lodash express axios chalk commander debug dotenv eslint jest typescript webpack vite zod yargs
        tslib uuid semver glob minimatch rimraf prettier rollup esbuild postcss tailwindcss next vue svelte
        serde tokio anyhow thiserror clap tracing reqwest hyper rand regex chrono futures bytes log itertools
        numpy pandas requests flask django pytest pydantic fastapi sqlalchemy click rich httpx boto3 torch
        """)

    /// Module or package names used by the import lines of each language.
    static let swiftModules = words("Foundation Dispatch Combine SwiftUI Logging NIOCore NIOPosix Crypto ArgumentParser os")
    static let rustModules = words("std::collections std::io std::fs std::sync serde tokio anyhow tracing crate::config crate::error")
    static let pythonModules = words("os sys json re typing dataclasses pathlib logging asyncio collections itertools functools")
    static let goModules = words("fmt os io context errors strings time net/http encoding/json sync")

    /// Built-in type names per language, mixed with generated ones.
    static let swiftTypes = words("String Int Bool Double [String] Data URL Date UInt64 Int64 Void")
    static let rustTypes = words("String usize u64 i32 bool Vec<u8> &str Option<String> Result<()> u8 f64")
    static let typeScriptTypes = words("string number boolean void unknown Promise<void> string[] Record<string, unknown> Date")
    static let pythonTypes = words("str int bool float None list[str] dict[str, Any] bytes Path Optional[str]")
    static let goTypes = words("string int bool error []byte int64 float64 time.Duration context.Context")

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
