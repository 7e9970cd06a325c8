// The package's structure as Package.swift declares it and the sources use it: every declared
// dependency is imported, every import is declared, and the layers point one way.
import Foundation
import MoLATestSupport
import Testing

@Suite struct PackageStructureTests {
    /// The package root (Tests/MolaInspectTests/../..).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Target {
        let name: String
        let kind: String
        let dependencies: Set<String>
        let path: String
    }

    static func targets() throws -> [String: Target] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(name: "([^"]+)"([^)]*)\)"#)
        var targets: [String: Target] = [:]
        for match in pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            let part = { (index: Int) in String(manifest[Range(match.range(at: index), in: manifest)!]) }
            let (kind, name, rest) = (part(1), part(2), part(3))
            let quoted = { (text: String) in
                (try! NSRegularExpression(pattern: #""([^"]+)""#)).matches(in: text, range: NSRange(text.startIndex..., in: text))
                    .map { String(text[Range($0.range(at: 1), in: text)!]) }
            }
            var dependencies: Set<String> = []
            if let start = rest.range(of: "dependencies: ["), let end = rest[start.upperBound...].firstIndex(of: "]") {
                dependencies = Set(quoted(String(rest[start.upperBound..<end])))
            }
            let path = rest.range(of: #"path: "[^"]+""#, options: .regularExpression).map { quoted(String(rest[$0]))[0] }
                ?? (kind == "testTarget" ? "Tests/\(name)" : "Sources/\(name)")
            targets[name] = Target(name: name, kind: kind, dependencies: dependencies, path: path)
        }
        return targets
    }

    /// The package's modules each source file of `target` imports.
    static func imports(of target: Target, among names: Set<String>) throws -> Set<String> {
        var found: Set<String> = []
        let directory = root.appendingPathComponent(target.path)
        let files = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        for file in files {
            for line in try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count,
                      index == 0 || words[0] == "@testable" else { continue }
                let module = String(words[index + 1]).replacingOccurrences(of: "mola_inspect", with: "mola-inspect")
                if names.contains(module) { found.insert(module) }
            }
        }
        return found
    }

    @Test func everyDependencyIsImportedAndEveryImportDeclared() throws {
        let targets = try Self.targets()
        #expect(targets.count > 15, "read \(targets.count) targets from Package.swift")
        let names = Set(targets.keys)
        for target in targets.values where target.kind != "systemLibrary" {
            let imported = try Self.imports(of: target, among: names)
            // The command-line tests run the built binary: they depend on it without importing it.
            let unused = target.dependencies.subtracting(imported).subtracting(target.kind == "testTarget" ? ["mola-inspect"] : [])
            #expect(unused.isEmpty, "\(target.name) declares \(unused.sorted()) but imports none of them")
            let undeclared = imported.subtracting(target.dependencies)
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted()) without declaring them")
        }
    }

    /// The layers: plots know no checkpoints, redundancy needs no model, text needs no model,
    /// the model needs no analysis or training, libraries never the command line.
    @Test func dependenciesPointOneWay() throws {
        let targets = try Self.targets()
        func reachable(from name: String) -> Set<String> {
            var seen: Set<String> = [], queue = [name]
            while let next = queue.popLast() {
                for dependency in targets[next]?.dependencies ?? [] where seen.insert(dependency).inserted { queue.append(dependency) }
            }
            return seen
        }
        let forbidden: [String: Set<String>] = [
            "MoLAPlot": ["MoLACheckpoint", "MoLAModel", "MoLAAnalysis"],
            "MoLAAnalysis": ["MoLAModel", "MoLARouting", "MoLATrain"],
            "MoLAText": ["MoLAModel", "MoLACheckpoint", "MoLATrain"],
            "MoLAModel": ["MoLAAnalysis", "MoLARouting", "MoLATrain", "MoLAText", "MoLAPlot"],
            "MoLACheckpoint": ["MoLAModel", "MoLAAnalysis", "MoLAPlot"],
            "MoLAFiles": ["MoLATensor", "MoLACheckpoint"],
        ]
        for (name, excluded) in forbidden {
            #expect(targets[name] != nil, "no target \(name)")
            let reached = reachable(from: name)
            #expect(reached.isDisjoint(with: excluded.union(["mola-inspect"])), "\(name) reaches \(reached.intersection(excluded).sorted())")
        }
    }
}
