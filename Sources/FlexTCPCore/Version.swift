/// The release of FlexTCP this build is: what `--version` of every tool prints.
package enum FlexTCPVersion {
    /// Semantic version of the package.
    package static let string = "0.3.0"
}
