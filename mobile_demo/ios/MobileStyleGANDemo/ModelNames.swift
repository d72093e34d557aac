import CoreML

/// File and tensor names of the two Core ML models; mobile_demo/app_models.json lists the same.
enum ModelNames {
    static let mappingFile = "mapping-coreml-fp16"
    static let synthesisFile = "synthesis-coreml-fp16"
    static let z = "z"
    static let psi = "psi"
    static let w = "w"
    static let image = "image"
    static let elementType = MLMultiArrayDataType.float32
}
