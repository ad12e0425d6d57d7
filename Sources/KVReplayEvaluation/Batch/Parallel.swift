import Dispatch
import Synchronization

/// Data-parallel loops on `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Calls `body` for every chunk of `0..<count` on up to `threads` threads and returns the results in chunk
    /// order, whatever the scheduling. Workers take chunks from a shared counter, so uneven chunks balance out.
    /// `body` must only read shared state; it writes nothing but its own result.
    public static func mapChunks<T: Sendable>(
        count: Int, chunkSize: Int, threads: Int, _ body: @Sendable (Range<Int>) -> T
    ) -> [T] {
        let chunkSize = max(1, chunkSize)
        let chunks = (count + chunkSize - 1) / chunkSize
        if chunks == 0 { return [] }
        let workers = max(1, min(threads, chunks))
        let next = Atomic<Int>(0)
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: chunks)
        slots.initialize(repeating: nil)
        defer {
            // The results were copied out; release the slots' references before freeing them.
            _ = slots.deinitialize()
            slots.deallocate()
        }
        nonisolated(unsafe) let shared = slots
        withoutActuallyEscaping(body) { body in
            let work: @Sendable () -> Void = {
                while true {
                    let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if c >= chunks { return }
                    let lo = c * chunkSize
                    shared[c] = body(lo..<min(count, lo + chunkSize))
                }
            }
            if workers == 1 {
                work()
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
            }
        }
        return (0..<chunks).map { slots[$0]! }
    }

    /// The number of cores this process may use.
    public static var availableCores: Int {
        max(1, ProcessInfoCores.count)
    }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
