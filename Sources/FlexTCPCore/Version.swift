/// The release of FlexTCP this build is: what `--version` of every tool prints.
public enum FlexTCPVersion {
    /// Semantic version of the package.
    public static let string = "0.3.0"
}
