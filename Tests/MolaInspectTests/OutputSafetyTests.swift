// Nothing is lost and output failures are errors, as a user meets them: an output that is an
// input (however spelled) is refused before any work, `-` and /dev/stdout are standard output,
// a full disk or a closed standard output is `error: ...` and exit 1, an interrupted command
// leaves no temporary file, per-token lines are JSON whatever the routers hold, and text from
// files reaches the terminal escaped.
import Foundation
import Glibc
import MoLATestSupport
import Testing

@Suite final class OutputSafetyTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// Runs `mola-inspect` through the shell, for redirections a Process cannot express (`>&-`).
    private func shell(_ script: String) throws -> (status: Int32, standardError: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, molaInspectBinary.path]
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func anOutputThatIsAnInputIsRefusedHoweverSpelled() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ck", experts: [2, 2])
        let config = "\(checkpoint)/adapter_config.json"
        let original = bytes(config)
        #expect(symlink(config, scratch.path("link.json")) == 0)
        #expect(link(config, scratch.path("hard.json")) == 0)
        for output in [config, scratch.path("ck/./adapter_config.json"), scratch.path("ck/../ck/adapter_config.json"),
                       scratch.path("link.json"), scratch.path("hard.json")] {
            for command in [["info", checkpoint, "--json"], ["info", "\(checkpoint)/adapter_model.safetensors"],
                            ["redundancy", checkpoint, "--projections", "all", "--csv"]] {
                let result = try runMolaInspect(command + ["--output", output])
                #expect(result.status == 1, "\(command) \(output): \(result.standardError)")
                #expect(result.standardError.hasPrefix("error: --output would replace an input of the command"), "\(result.standardError)")
                #expect(result.standardError.contains("(\(output))"), "\(result.standardError)")
            }
        }
        #expect(bytes(config) == original)
        // A figure whose name is a link to the tensor file.
        let tensors = "\(checkpoint)/adapter_model.safetensors"
        let tensorBytes = bytes(tensors)
        #expect(symlink(tensors, scratch.path("figure.png")) == 0)
        let plot = try runMolaInspect(["plot", "allocation", checkpoint, "-o", scratch.path("figure.png")])
        #expect(plot.status == 1 && plot.standardError.contains("--output would replace an input of the command, \(tensors)"), "\(plot.standardError)")
        #expect(bytes(tensors) == tensorBytes)
        // Writing beside the inputs, or again over an earlier report, is fine.
        for _ in 0..<2 {
            #expect(try runMolaInspect(["info", checkpoint, "--output", "\(checkpoint)/card.txt"]).status == 0)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoint).sorted() == ["adapter_config.json", "adapter_model.safetensors", "card.txt"])
    }

    @Test func routingAndTrainingOutputsAreCheckedAgainstTheirInputs() throws {
        let data = try scratch.write(Array("some text\n".utf8), to: "data.txt")
        let original = bytes(data)
        let base = Fixtures.path("tiny-model/base"), adapter = Fixtures.path("tiny-model/adapter")
        let routing = ["routing", "--base", base, adapter, "--data", data]
        let perToken = try runMolaInspect(routing + ["--per-token", scratch.path("./data.txt")])
        #expect(perToken.status == 1 && perToken.standardError.contains("--per-token would replace an input of the command, \(data)"),
                "\(perToken.standardError)")
        let model = try runMolaInspect(routing + ["--output", "\(base)/model.safetensors"])
        #expect(model.status == 1 && model.standardError.contains("--output would replace an input"), "\(model.standardError)")
        let twice = try runMolaInspect(routing + ["--output", scratch.path("out.json"), "--per-token", scratch.path("./out.json")])
        #expect(twice.status == 1 && twice.standardError.contains("--output and --per-token name the same file"), "\(twice.standardError)")
        let bothOnStandardOutput = try runMolaInspect(routing + ["--per-token", "-"])
        #expect(bothOnStandardOutput.status == 1 && bothOnStandardOutput.standardError.contains("name the same file (standard output)"))
        // train --out: a file it would write there is the data file (a hard link).
        try FileManager.default.createDirectory(atPath: scratch.path("run"), withIntermediateDirectories: true)
        #expect(link(data, scratch.path("run/adapter_config.json")) == 0)
        let train = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--data", data, "--out", scratch.path("run"), "--overwrite"])
        #expect(train.status == 1 && train.standardError.contains("--out would replace an input of the command, \(data)"), "\(train.standardError)")
        #expect(bytes(data) == original)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.json")))
    }

    @Test func dashAndDevStdoutAreStandardOutput() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ck", experts: [2])
        let plain = try runMolaInspect(["info", checkpoint])
        #expect(plain.status == 0)
        for output in ["-", "/dev/stdout"] {
            let result = try runMolaInspect(["info", checkpoint, "--output", output])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == plain.standardOutput, "\(output)")
        }
        // Through the shell, /dev/stdout on a regular file appends at its offset: nothing is renamed.
        let file = scratch.path("card.txt")
        let redirected = try shell("\"$0\" info '\(checkpoint)' --output /dev/stdout > '\(file)'")
        #expect(redirected.status == 0, "\(redirected.standardError)")
        #expect(String(decoding: bytes(file) ?? Data(), as: UTF8.self) == plain.standardOutput)
    }

    @Test func aFullDiskOrAClosedStandardOutputIsAnError() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ck", experts: [2])
        for (script, message) in [("\"$0\" info '\(checkpoint)' > /dev/full", "error: cannot write standard output: No space left on device"),
                                  ("\"$0\" info '\(checkpoint)' --json --output /dev/full", "error: cannot write the output: No space left on device (/dev/full)"),
                                  ("\"$0\" info '\(checkpoint)' >&-", "error: cannot write standard output: Bad file descriptor"),
                                  ("\"$0\" --help > /dev/full", "error: cannot write standard output: No space left on device")] {
            let result = try shell(script)
            #expect(result.status == 1, "\(script): \(result.standardError)")
            #expect(result.standardError.hasPrefix(message), "\(script): \(result.standardError)")
        }
        // A reader that goes away: a quiet end, never a crash (the shell reports a signal as 128+N).
        let piped = try shell("\"$0\" redundancy '\(checkpoint)' --json | head -c 1 > /dev/null; exit ${PIPESTATUS:-0}")
        #expect(piped.status == 0 || piped.status == 1, "\(piped.standardError)")
        #expect(!piped.standardError.contains("Fatal error"), "\(piped.standardError)")
    }

    @Test func anInterruptedCommandLeavesNoTemporaryFile() throws {
        for signal in [SIGTERM, SIGINT] {
            // Enough windows that the run outlasts the signal; on a fast machine the run may
            // still end first, so it is tried again with four times the work.
            var interrupted = false
            for windowCount in [400, 1600, 6400] where !interrupted {
                let routing = try startRoutingWithPerTokenOutput(windowCount: windowCount, signalAction: (signal, SIG_DFL))
                kill(routing.processIdentifier, signal)
                routing.waitUntilExit()
                guard routing.terminationReason == .uncaughtSignal else { continue }  // it had finished: more work
                interrupted = true
                #expect(routing.terminationStatus == signal)
                #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["tokens.json"])
            }
            #expect(interrupted, "routing always finished before signal \(signal) arrived")
        }
    }

    /// A signal the command was started ignoring (`nohup`, a background job) stays ignored: the
    /// run ends as usual and writes its output.
    @Test func aSignalIgnoredAtStartStaysIgnored() throws {
        let routing = try startRoutingWithPerTokenOutput(windowCount: 40, signalAction: (SIGHUP, SIG_IGN))
        kill(routing.processIdentifier, SIGHUP)
        routing.waitUntilExit()
        #expect(routing.terminationReason == .exit && routing.terminationStatus == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["tokens.json", "tokens.jsonl"])
    }

    /// Starts `routing --per-token` over `windowCount` windows of 64 tokens, with the disposition
    /// of one signal set for the child as given (a child inherits ignored signals, and a test
    /// harness started as a background job ignores SIGINT), and returns once its temporary
    /// output exists, it has ended, or 20 s have passed.
    private func startRoutingWithPerTokenOutput(windowCount: Int, signalAction: (number: Int32, action: __sighandler_t?))
        throws -> Process
    {
        let windows = (0..<windowCount).map { index in "[" + (0..<64).map { String(($0 * 7 + index) % 250 + 3) }.joined(separator: ",") + "]" }
        let tokens = try scratch.write(Array(("[" + windows.joined(separator: ",") + "]").utf8), to: "tokens.json")
        let perToken = scratch.path("tokens.jsonl")
        try? FileManager.default.removeItem(atPath: perToken)
        let process = Process()
        process.executableURL = molaInspectBinary
        process.arguments = ["routing", "--base", Fixtures.path("tiny-model/base"), Fixtures.path("tiny-model/adapter"),
                             "--tokens", tokens, "--length", "64", "--per-token", perToken]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let previous = Glibc.signal(signalAction.number, signalAction.action)
        let started = Result { try process.run() }
        Glibc.signal(signalAction.number, previous)
        try started.get()
        let temporary = scratch.path(".tokens.jsonl.\(process.processIdentifier).tmp")
        var waited = 0
        while !FileManager.default.fileExists(atPath: temporary) && process.isRunning && waited < 20_000 { usleep(1000); waited += 1 }
        return process
    }

    /// Routers holding NaN: routing is refused naming the router, and nothing is written
    /// (statistics and per-token lines over NaN probabilities would mean nothing; the JSON
    /// writer's nulls for non-finite numbers are tested in AtomicFileWriterTests).
    @Test func routersHoldingNaNAreRefusedAndNothingIsWritten() throws {
        let base = scratch.path("base")
        let pretrained = try runMolaInspect(["train", "--pretrain", "--layers", "1", "--hidden", "6", "--mlp", "10", "--heads", "1",
                                             "--tasks", "1", "--steps", "1", "--batch", "1", "--cutoff", "8", "--out", base])
        #expect(pretrained.status == 0, "\(pretrained.standardError)")
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (projection, outputWidth) in [("self_attn.q_proj", 6), ("mlp.up_proj", 10)] {
            let prefix = "base_model.model.model.layers.0.\(projection)"
            for expert in 0..<2 {
                tensors.append(("\(prefix).lora_A_\(expert).weight", [2, 6], (0..<12).map { Float($0) / 12 }))
                tensors.append(("\(prefix).lora_B_\(expert).weight", [outputWidth, 2], Array(repeating: 0.1, count: outputWidth * 2)))
            }
            tensors.append(("\(prefix).router.router.weight", [2, 6], Array(repeating: projection.hasPrefix("mlp") ? .nan : 0.5, count: 12)))
        }
        try scratch.write(safetensorsBytes(tensors: tensors), to: "nan/adapter_model.safetensors")
        try scratch.write(Array(#"{"peft_type": "LORA", "r": [2], "lora_alpha": 16}"#.utf8), to: "nan/adapter_config.json")
        let tokens = try scratch.write(Array("[[1, 2, 3, 4]]".utf8), to: "tokens.json")
        let perToken = scratch.path("tokens.jsonl")
        let result = try runMolaInspect(["routing", "--base", base, scratch.path("nan"), "--tokens", tokens, "--per-token", perToken, "--json"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("error: the router of layer 0 up_proj gave NaN or infinite probabilities for 4 tokens"),
                "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: perToken))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["base", "nan", "tokens.json"])
    }

    @Test func textFromFilesReachesTheTerminalEscaped() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ck", experts: [2])
        try scratch.write(Array(#"{"peft_type": "LORA", "r": [2], "lora_alpha": 16, "base_model_name_or_path": "tiny\u001b[2J\rover"}"#.utf8),
                          to: "ck/adapter_config.json")
        let table = try runMolaInspect(["info", checkpoint])
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.standardOutput.contains(#"tiny\u{1B}[2J\rover"#), "\(table.standardOutput)")
        #expect(!table.standardOutput.contains("\u{1B}") && !table.standardOutput.contains("\r"))
        // JSON escapes it its own way.
        #expect(try runMolaInspect(["info", checkpoint, "--json"]).standardOutput.contains(#""tiny\u001b[2J\rover""#))
        // An error quoting a path from the command line (or a file) is escaped too.
        let missing = try runMolaInspect(["info", scratch.path("no\u{1B}]0;title\u{07}such")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains(#"no\u{1B}]0;title\u{7}such"#) && !missing.standardError.contains("\u{1B}"), "\(missing.standardError)")
    }
}
