/// A string compared and hashed by its UTF-8 bytes, as a dictionary key.
///
/// Swift's `String` is equal to any canonically equivalent string (`"é"` precomposed equals
/// `"e\u{301}"`), so a `[String: Int]` vocabulary would give a decomposed text the id of the
/// precomposed piece; tokenizers compare bytes (llama.cpp's `token_to_id` is a byte map).
struct ExactText: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (left: ExactText, right: ExactText) -> Bool { left.text.utf8.elementsEqual(right.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
