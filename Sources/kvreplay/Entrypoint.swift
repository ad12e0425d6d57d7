import ArgumentParser
import KVReplayCLI

@main
struct Entrypoint {
    static func main() async {
        await KVReplayCommand.main()
    }
}
