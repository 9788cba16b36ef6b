/// "1 frame", "3 frames": a count with its noun, plural when the count is not one.
func counted(_ count: some BinaryInteger, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
