package org.mobilestylegan.demo

import org.tensorflow.lite.DataType

/** File and tensor names of the two TFLite models; mobile_demo/app_models.json lists the same. */
object ModelNames {
    const val MAPPING_FILE = "mapping-tflite-fp32.tflite"
    const val SYNTHESIS_FILE = "synthesis-tflite-fp32.tflite"
    const val SIGNATURE = "serving_default"
    const val Z = "z"
    const val PSI = "psi"
    const val W = "w"
    const val IMAGE = "image"
    val ELEMENT_TYPE: DataType = DataType.FLOAT32
}
