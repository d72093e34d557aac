import CoreGraphics
import CoreML

enum FaceGeneratorError: Error {
    case modelNotInBundle(String)
    case unexpectedModel(String)
}

/// Draws a face for a seed with the two Core ML models in the app bundle:
/// mapping (z, psi -> w), then synthesis (w -> image in [-1, 1], NCHW).
final class FaceGenerator {
    private let mapping: MLModel
    private let synthesis: MLModel
    /// D of z and w (512 for FFHQ), read from the model.
    let styleDim: Int
    /// Image side in pixels (1024 for FFHQ), read from the model.
    let resolution: Int

    init(configuration: MLModelConfiguration = MLModelConfiguration()) throws {
        mapping = try Self.loadModel(named: ModelNames.mappingFile, configuration: configuration)
        synthesis = try Self.loadModel(named: ModelNames.synthesisFile, configuration: configuration)
        let description = synthesis.modelDescription
        guard let wShape = description.inputDescriptionsByName[ModelNames.w]?.multiArrayConstraint?.shape,
              let imageShape = description.outputDescriptionsByName[ModelNames.image]?.multiArrayConstraint?.shape,
              wShape.count == 2, imageShape.count == 4
        else {
            throw FaceGeneratorError.unexpectedModel("synthesis model needs input w (1, D) and output image (1, 3, H, W)")
        }
        styleDim = wShape[1].intValue
        resolution = imageShape[2].intValue
    }

    /// Xcode compiles NAME.mlpackage into NAME.mlmodelc inside the app bundle.
    private static func loadModel(named name: String, configuration: MLModelConfiguration) throws -> MLModel {
        guard let url = Bundle.main.url(forResource: name, withExtension: "mlmodelc") else {
            throw FaceGeneratorError.modelNotInBundle("\(name).mlpackage is not in the app target")
        }
        return try MLModel(contentsOf: url, configuration: configuration)
    }

    /// Draws the face for `seed` at truncation `psi`; z matches NumPy's RandomState(seed).randn(1, D).
    func draw(seed: UInt32, psi: Float) throws -> CGImage {
        var random = NumpyRandom(seed: seed)
        let z = try MLMultiArray(shape: [1, NSNumber(value: styleDim)], dataType: ModelNames.elementType)
        for i in 0..<styleDim {
            z[i] = NSNumber(value: Float(random.nextGauss()))
        }
        let psiArray = try MLMultiArray(shape: [1, 1], dataType: ModelNames.elementType)
        psiArray[0] = NSNumber(value: psi)

        let mappingInput = try MLDictionaryFeatureProvider(dictionary: [ModelNames.z: z, ModelNames.psi: psiArray])
        guard let w = try mapping.prediction(from: mappingInput).featureValue(for: ModelNames.w)?.multiArrayValue else {
            throw FaceGeneratorError.unexpectedModel("mapping model returned no \(ModelNames.w)")
        }
        let synthesisInput = try MLDictionaryFeatureProvider(dictionary: [ModelNames.w: w])
        guard let image = try synthesis.prediction(from: synthesisInput).featureValue(for: ModelNames.image)?.multiArrayValue,
              image.dataType == ModelNames.elementType
        else {
            throw FaceGeneratorError.unexpectedModel("synthesis model returned no float32 \(ModelNames.image)")
        }
        return try makeImage(image)
    }

    /// NCHW floats in [-1, 1] to an RGBA image: round((x + 1) * 127.5) clamped to 0..255.
    /// Reads through the array's strides, which Core ML may pad.
    private func makeImage(_ array: MLMultiArray) throws -> CGImage {
        let side = resolution
        let strides = array.strides.map(\.intValue)
        var rgba = [UInt8](repeating: 255, count: 4 * side * side)
        array.withUnsafeBufferPointer(ofType: Float.self) { values in
            for y in 0..<side {
                for x in 0..<side {
                    for channel in 0..<3 {
                        let value = values[channel * strides[1] + y * strides[2] + x * strides[3]]
                        let level = ((value + 1) * 127.5).rounded(.toNearestOrEven)
                        rgba[4 * (y * side + x) + channel] = UInt8(min(max(level, 0), 255))
                    }
                }
            }
        }
        guard let provider = CGDataProvider(data: Data(rgba) as CFData),
              let image = CGImage(
                  width: side, height: side, bitsPerComponent: 8, bitsPerPixel: 32, bytesPerRow: 4 * side,
                  space: CGColorSpaceCreateDeviceRGB(), bitmapInfo: CGBitmapInfo(rawValue: CGImageAlphaInfo.noneSkipLast.rawValue),
                  provider: provider, decode: nil, shouldInterpolate: true, intent: .defaultIntent)
        else {
            throw FaceGeneratorError.unexpectedModel("could not build a \(side)x\(side) image")
        }
        return image
    }
}
