import Foundation

extension SentencePieceBPETokenizer {
    /// Reads `tokenizer.json` (layout at the top of `SentencePieceBPETokenizer`).
    ///
    /// - Throws: `TokenizerError` naming the file and the field that is wrong.
    public init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TokenizerError.unreadable(file: file, reason: "no such file or not readable")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.unreadable(file: file, reason: "not JSON")
        }
        guard let root = parsed as? [String: Any] else { throw TokenizerError.malformed(file: file, field: "(top level)", expected: "an object") }
        guard let model = root["model"] as? [String: Any] else { throw TokenizerError.malformed(file: file, field: "model", expected: "an object") }
        let type = model["type"] as? String ?? "(none)"
        guard type == "BPE" else { throw TokenizerError.unsupported(file: file, component: "model", found: type) }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] where !(model[field] == nil || model[field] is NSNull) {
            throw TokenizerError.unsupported(file: file, component: "model.\(field)", found: "\(model[field]!)")
        }
        if let dropout = model["dropout"] as? Double, dropout != 0 {
            throw TokenizerError.unsupported(file: file, component: "model.dropout", found: "\(dropout)")
        }

        guard let rawVocabulary = model["vocab"] as? [String: Any] else {
            throw TokenizerError.malformed(file: file, field: "model.vocab", expected: "an object of piece: id")
        }
        var vocabulary: [String: Int] = [:], pieces: [Int: String] = [:]
        for (piece, value) in rawVocabulary {
            guard let id = Self.integer(value) else { throw TokenizerError.malformed(file: file, field: "model.vocab[\(piece)]", expected: "an integer id") }
            guard id >= 0, pieces[id] == nil else { throw TokenizerError.badIdentifier(file: file, piece: piece, id: id) }
            vocabulary[piece] = id
            pieces[id] = piece
        }
        guard let rawMerges = model["merges"] as? [Any] else {
            throw TokenizerError.malformed(file: file, field: "model.merges", expected: "an array")
        }
        var merges: [PairKey: (rank: Int, id: Int)] = [:]
        for (rank, entry) in rawMerges.enumerated() {
            let pair: [String]
            if let text = entry as? String {
                pair = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let parts = entry as? [String] {
                pair = parts
            } else {
                throw TokenizerError.malformed(file: file, field: "model.merges[\(rank)]", expected: "\"a b\" or [\"a\", \"b\"]")
            }
            guard pair.count == 2, let left = vocabulary[pair[0]], let right = vocabulary[pair[1]],
                  let joined = vocabulary[pair[0] + pair[1]] else {
                throw TokenizerError.mergeOutsideVocabulary(file: file, merge: pair.joined(separator: " "))
            }
            let key = PairKey(left: Int32(left), right: Int32(right))
            if merges[key] == nil { merges[key] = (rank, joined) }
        }

        var added: [(content: [Unicode.Scalar], id: Int)] = []
        for (index, entry) in ((root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let token = entry as? [String: Any], let content = token["content"] as? String, let id = token["id"].flatMap(Self.integer) else {
                throw TokenizerError.malformed(file: file, field: "added_tokens[\(index)]", expected: "{\"id\": integer, \"content\": string}")
            }
            guard id >= 0, pieces[id] == nil || pieces[id] == content else { throw TokenizerError.badIdentifier(file: file, piece: content, id: id) }
            added.append((Array(content.unicodeScalars), id))
        }
        added.sort { $0.content.count > $1.content.count }
        let addedIds = Dictionary(added.map { (String(String.UnicodeScalarView($0.content)), $0.id) }, uniquingKeysWith: { first, _ in first })
        let lookUp = { (token: String) in vocabulary[token] ?? addedIds[token] }

        var unknownId: Int?
        if let unknown = model["unk_token"] as? String {
            guard let id = lookUp(unknown) else { throw TokenizerError.unknownSpecialToken(file: file, token: unknown) }
            unknownId = id
        }
        let normalizer = try Self.normalizer(root["normalizer"], file: file)
        let metaspace = try Self.metaspace(root["pre_tokenizer"], file: file)
        let (prefix, suffix) = try Self.template(root["post_processor"], file: file, lookUp: lookUp)
        self.init(file: file, vocabulary: vocabulary, pieces: pieces, merges: merges, unknownId: unknownId,
                  byteFallback: model["byte_fallback"] as? Bool ?? false, fuseUnknown: model["fuse_unk"] as? Bool ?? false,
                  ignoreMerges: model["ignore_merges"] as? Bool ?? false, addedTokens: added, addedTokenIds: addedIds,
                  byteIds: (0...255).map { vocabulary[String(format: "<0x%02X>", $0)] },
                  prependToSegments: normalizer.prepend, spaceReplacement: normalizer.spaceReplacement, metaspace: metaspace,
                  prefixIds: prefix, suffixIds: suffix)
    }

    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let integer = number.intValue
        return number.doubleValue == Double(integer) ? integer : nil
    }

    /// Prepend and space-Replace normalizers (LLaMA 2's older files), alone or in a Sequence.
    private static func normalizer(_ value: Any?, file: String) throws -> (prepend: String?, spaceReplacement: String?) {
        guard let value, !(value is NSNull) else { return (nil, nil) }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw TokenizerError.malformed(file: file, field: "normalizer", expected: "null or an object with a type")
        }
        let parts = type == "Sequence" ? (object["normalizers"] as? [[String: Any]] ?? []) : [object]
        var prepend: String?, replacement: String?
        for part in parts {
            switch part["type"] as? String {
            case "Prepend":
                guard let text = part["prepend"] as? String else { throw TokenizerError.malformed(file: file, field: "normalizer.prepend", expected: "a string") }
                guard replacement == nil else { throw TokenizerError.unsupported(file: file, component: "normalizer", found: "Replace before Prepend") }
                prepend = text
            case "Replace":
                guard let pattern = part["pattern"] as? [String: Any], let from = pattern["String"] as? String, from == " ",
                      let content = part["content"] as? String else {
                    throw TokenizerError.unsupported(file: file, component: "normalizer", found: "Replace other than spaces")
                }
                replacement = content
            case let other:
                throw TokenizerError.unsupported(file: file, component: "normalizer", found: other ?? "(no type)")
            }
        }
        return (prepend, replacement)
    }

    /// Null or Metaspace (newer LLaMA files); anything else, ByteLevel included, is refused.
    private static func metaspace(_ value: Any?, file: String) throws -> Metaspace? {
        guard let value, !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else {
            throw TokenizerError.malformed(file: file, field: "pre_tokenizer", expected: "null or an object")
        }
        let type = object["type"] as? String ?? "(no type)"
        guard type == "Metaspace" else { throw TokenizerError.unsupported(file: file, component: "pre_tokenizer", found: type) }
        let replacement = object["replacement"] as? String ?? "▁"
        let prepend: Metaspace.Prepend
        switch object["prepend_scheme"] as? String {
        case "always": prepend = .always
        case "first": prepend = .first
        case "never": prepend = .never
        case nil: prepend = (object["add_prefix_space"] as? Bool ?? true) ? .always : .never
        case let other?: throw TokenizerError.unsupported(file: file, component: "pre_tokenizer.prepend_scheme", found: other)
        }
        return Metaspace(replacement: replacement, prepend: prepend, split: object["split"] as? Bool ?? true)
    }

    /// The special tokens TemplateProcessing's `single` template puts before and after `$A`.
    private static func template(_ value: Any?, file: String, lookUp: (String) -> Int?) throws -> (prefix: [Int], suffix: [Int]) {
        guard let value, !(value is NSNull) else { return ([], []) }
        guard let object = value as? [String: Any] else {
            throw TokenizerError.malformed(file: file, field: "post_processor", expected: "null or an object")
        }
        let candidates = object["type"] as? String == "Sequence" ? (object["processors"] as? [[String: Any]] ?? []) : [object]
        guard let processor = candidates.first(where: { $0["type"] as? String == "TemplateProcessing" }) else {
            let type = object["type"] as? String ?? "(no type)"
            throw TokenizerError.unsupported(file: file, component: "post_processor", found: type)
        }
        guard let single = processor["single"] as? [[String: Any]] else {
            throw TokenizerError.malformed(file: file, field: "post_processor.single", expected: "an array")
        }
        var prefix: [Int] = [], suffix: [Int] = [], seenSequence = false
        for item in single {
            if item["Sequence"] != nil { seenSequence = true; continue }
            guard let special = item["SpecialToken"] as? [String: Any], let name = special["id"] as? String else {
                throw TokenizerError.malformed(file: file, field: "post_processor.single", expected: "SpecialToken and Sequence items")
            }
            let declared = ((processor["special_tokens"] as? [String: Any])?[name] as? [String: Any])?["ids"] as? [Any]
            let ids = declared?.compactMap(integer) ?? lookUp(name).map { [$0] }
            guard let ids, !ids.isEmpty else { throw TokenizerError.unknownSpecialToken(file: file, token: name) }
            if seenSequence { suffix += ids } else { prefix += ids }
        }
        return (prefix, suffix)
    }
}
