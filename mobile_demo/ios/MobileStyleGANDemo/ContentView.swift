import SwiftUI

@main
struct MobileStyleGANDemoApp: App {
    var body: some Scene {
        WindowGroup { ContentView() }
    }
}

/// Holds the generator and draws off the main thread.
@MainActor
final class FaceModel: ObservableObject {
    @Published var image: CGImage?
    @Published var status = "loading the models"
    private var generator: FaceGenerator?

    func load() async {
        do {
            generator = try await Task.detached { try FaceGenerator() }.value
            status = "ready"
        } catch {
            status = "failed to load the models: \(error)"
        }
    }

    func draw(seed: UInt32, psi: Float) async {
        guard let generator else { return }
        status = "drawing seed \(seed)"
        let start = Date()
        do {
            image = try await Task.detached { try generator.draw(seed: seed, psi: psi) }.value
            let milliseconds = Int(Date().timeIntervalSince(start) * 1000)
            status = "seed \(seed), psi \(String(format: "%.2f", psi)): \(milliseconds) ms (Core ML)"
        } catch {
            status = "failed to draw: \(error)"
        }
    }
}

struct ContentView: View {
    @StateObject private var model = FaceModel()
    @State private var seed: UInt32 = 0
    @State private var psi = 0.7

    var body: some View {
        VStack(spacing: 16) {
            if let image = model.image {
                Image(decorative: image, scale: 1).resizable().aspectRatio(1, contentMode: .fit)
            } else {
                Rectangle().fill(.gray.opacity(0.2)).aspectRatio(1, contentMode: .fit)
            }
            Slider(value: $psi, in: 0...1) { Text("Truncation psi") } onEditingChanged: { editing in
                if !editing { Task { await model.draw(seed: seed, psi: Float(psi)) } }
            }
            Button("New face") {
                seed = UInt32.random(in: .min ... .max)
                Task { await model.draw(seed: seed, psi: Float(psi)) }
            }
            Text(model.status).font(.footnote)
        }
        .padding()
        .task {
            await model.load()
            await model.draw(seed: seed, psi: Float(psi))
        }
    }
}
