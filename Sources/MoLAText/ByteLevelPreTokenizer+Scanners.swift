/// The hand-written regexes of `ByteLevelPreTokenizer`: each returns where its match starting at
/// `position` ends, trying the alternatives in the regex's order (as a backtracking engine does),
/// or nil.
extension ByteLevelPreTokenizer {
    /// `\p{L}`, `\p{N}`, `\s` or anything else.
    enum CharacterClass {
        case letter, number, space, other

        init(_ scalar: Unicode.Scalar) {
            if scalar.isASCII {
                switch scalar {
                case "a"..."z", "A"..."Z": self = .letter
                case "0"..."9": self = .number
                case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}": self = .space
                default: self = .other
                }
                return
            }
            let properties = scalar.properties
            if properties.isWhitespace { self = .space; return }
            switch properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
            case .decimalNumber, .letterNumber, .otherNumber: self = .number
            default: self = .other
            }
        }
    }

    /// The end of the run of `characterClass` starting at `position`.
    static func run(of characterClass: CharacterClass, _ classes: [CharacterClass], from position: Int) -> Int {
        var end = position
        while end < classes.count && classes[end] == characterClass { end += 1 }
        return end
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, matched case-sensitively or not.
    static func contraction(_ scalars: [Unicode.Scalar], at position: Int, ignoringCase: Bool) -> Int? {
        guard scalars[position] == "'", position + 1 < scalars.count else { return nil }
        func letter(_ offset: Int) -> Unicode.Scalar? {
            guard position + offset < scalars.count else { return nil }
            let scalar = scalars[position + offset]
            return ignoringCase && ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32) : scalar
        }
        switch letter(1) {
        case "s", "t", "m", "d": return position + 2
        case "r" where letter(2) == "e", "v" where letter(2) == "e", "l" where letter(2) == "l": return position + 3
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+`: a run of whitespace, less its last character when a non-space follows
    /// (that one goes with the next word), unless it is the only one.
    static func whitespace(_ classes: [CharacterClass], at position: Int) -> Int {
        let end = run(of: .space, classes, from: position)
        return end < classes.count && end - 1 > position ? end - 1 : end
    }

    static func gpt2Match(_ scalars: [Unicode.Scalar], _ classes: [CharacterClass], at position: Int) -> Int? {
        if let end = contraction(scalars, at: position, ignoringCase: false) { return end }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: one space, then a run of one class.
        let start = scalars[position] == " " && position + 1 < scalars.count && classes[position + 1] != .space ? position + 1 : position
        if classes[start] != .space { return run(of: classes[start], classes, from: start) }
        return whitespace(classes, at: position)
    }

    static func llama3Match(_ scalars: [Unicode.Scalar], _ classes: [CharacterClass], at position: Int, maximumDigits: Int) -> Int? {
        if let end = contraction(scalars, at: position, ignoringCase: true) { return end }
        let scalar = scalars[position], characterClass = classes[position]
        let hasNext = position + 1 < scalars.count
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if characterClass == .letter { return run(of: .letter, classes, from: position) }
        if characterClass != .number, scalar != "\r", scalar != "\n", hasNext, classes[position + 1] == .letter {
            return run(of: .letter, classes, from: position + 1)
        }
        // `\p{N}{1,3}`
        if characterClass == .number {
            var end = position + 1  // not the whole run: a long run of digits would be scanned once per group
            while end < classes.count && end < position + maximumDigits && classes[end] == .number { end += 1 }
            return end
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let start = scalar == " " && hasNext && classes[position + 1] == .other ? position + 1 : position
        if classes[start] == .other {
            var end = run(of: .other, classes, from: start)
            while end < scalars.count && (scalars[end] == "\r" || scalars[end] == "\n") { end += 1 }
            return end
        }
        // `\s*[\r\n]+`: whitespace up to and including its last line break.
        let end = run(of: .space, classes, from: position)
        if let lastBreak = scalars[position..<end].lastIndex(where: { $0 == "\r" || $0 == "\n" }) { return lastBreak + 1 }
        return whitespace(classes, at: position)
    }

    /// `[\p{P}\$\+<=>\^~\|]+`
    static func punctuationRun(_ scalars: [Unicode.Scalar], from position: Int) -> Int? {
        var end = position
        while end < scalars.count && isPunctuation(scalars[end]) { end += 1 }
        return end > position ? end : nil
    }

    private static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if "$+<=>^~|".unicodeScalars.contains(scalar) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }
}
