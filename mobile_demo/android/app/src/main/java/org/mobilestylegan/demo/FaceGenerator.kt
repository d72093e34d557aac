package org.mobilestylegan.demo

import android.content.Context
import android.graphics.Bitmap
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.FloatBuffer
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter

/**
 * Draws a face for a seed with the two TFLite models in the app's assets:
 * mapping (z, psi -> w), then synthesis (w -> image in [-1, 1], NCHW).
 */
class FaceGenerator(context: Context, threads: Int = 4) : AutoCloseable {
    private val options = Interpreter.Options().setNumThreads(threads)
    private val mapping = Interpreter(loadAsset(context, ModelNames.MAPPING_FILE), options)
    private val synthesis = Interpreter(loadAsset(context, ModelNames.SYNTHESIS_FILE), options)

    /** D of z and w (512 for FFHQ), read from the model. */
    val styleDim: Int

    /** Image side in pixels (1024 for FFHQ), read from the model. */
    val resolution: Int

    init {
        for (name in listOf(ModelNames.Z, ModelNames.PSI)) {
            requireFloat(mapping.getInputTensorFromSignature(name, ModelNames.SIGNATURE).dataType(), name)
        }
        val imageTensor = synthesis.getOutputTensorFromSignature(ModelNames.IMAGE, ModelNames.SIGNATURE)
        requireFloat(imageTensor.dataType(), ModelNames.IMAGE)
        styleDim = synthesis.getInputTensorFromSignature(ModelNames.W, ModelNames.SIGNATURE).shape()[1]
        resolution = imageTensor.shape()[2]
    }

    /** Draws the face for [seed] (0 to 2^32 - 1) at truncation [psi]; z matches NumPy's RandomState(seed).randn(1, D). */
    fun draw(seed: Long, psi: Float): Bitmap {
        val z = arrayOf(NumpyRandom(seed).normalFloats(styleDim))
        val w = arrayOf(FloatArray(styleDim))
        mapping.runSignature(
            mapOf(ModelNames.Z to z, ModelNames.PSI to arrayOf(floatArrayOf(psi))),
            mapOf(ModelNames.W to w),
            ModelNames.SIGNATURE,
        )
        val image = ByteBuffer.allocateDirect(4 * 3 * resolution * resolution).order(ByteOrder.nativeOrder())
        synthesis.runSignature(mapOf(ModelNames.W to w), mapOf(ModelNames.IMAGE to image), ModelNames.SIGNATURE)
        image.rewind()
        return toBitmap(image.asFloatBuffer(), resolution)
    }

    override fun close() {
        mapping.close()
        synthesis.close()
    }

    private companion object {
        fun requireFloat(type: DataType, name: String) {
            require(type == ModelNames.ELEMENT_TYPE) {
                "tensor $name is $type, expected ${ModelNames.ELEMENT_TYPE}; use the fp32 or fp16w TFLite models"
            }
        }

        /** Memory-maps an asset; the build must keep .tflite assets uncompressed (see README). */
        fun loadAsset(context: Context, name: String): MappedByteBuffer {
            context.assets.openFd(name).use { descriptor ->
                FileInputStream(descriptor.fileDescriptor).channel.use { channel ->
                    return channel.map(FileChannel.MapMode.READ_ONLY, descriptor.startOffset, descriptor.declaredLength)
                }
            }
        }

        /** NCHW floats in [-1, 1] to ARGB pixels: round((x + 1) * 127.5) clamped to 0..255. */
        fun toBitmap(planes: FloatBuffer, side: Int): Bitmap {
            val planeSize = side * side
            val pixels = IntArray(planeSize) { i ->
                val red = toByte(planes.get(i))
                val green = toByte(planes.get(planeSize + i))
                val blue = toByte(planes.get(2 * planeSize + i))
                (0xff shl 24) or (red shl 16) or (green shl 8) or blue
            }
            return Bitmap.createBitmap(pixels, side, side, Bitmap.Config.ARGB_8888)
        }

        fun toByte(value: Float): Int = Math.rint((value + 1.0) * 127.5).coerceIn(0.0, 255.0).toInt()
    }
}
