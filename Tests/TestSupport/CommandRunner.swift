import Foundation

/// What a run of the built `mola-inspect` binary printed and returned.
public struct CommandResult {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

/// Runs the `mola-inspect` binary that `swift build` put beside the test bundle.
public func runMolaInspect(_ arguments: [String], environment: [String: String] = [:],
                           directory: URL? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = molaInspectBinary
    if let directory { process.currentDirectoryURL = directory }
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.merge(environment) { $1 }
    process.environment = merged
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read both pipes to the end before waiting, so a large output cannot block the child.
    let errorData = LockedData()
    let errorReader = Thread { errorData.value = error.fileHandleForReading.readDataToEndOfFile() }
    errorReader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.done { usleep(1000) }
    return CommandResult(status: process.terminationStatus,
                         standardOutput: String(decoding: outputData, as: UTF8.self),
                         standardError: String(decoding: errorData.value, as: UTF8.self))
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    private var finished = false
    var value: Data {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; finished = true; lock.unlock() }
    }
    var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
}

/// `.build/<configuration>/mola-inspect`, found from the running test binary.
public let molaInspectBinary: URL = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    // The test binary may sit inside a `.xctest` bundle directory.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("mola-inspect").path),
          directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("mola-inspect")
}()
