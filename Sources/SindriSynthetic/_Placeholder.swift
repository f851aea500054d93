// placeholder until the generator lands
enum SindriSyntheticPlaceholder {}
