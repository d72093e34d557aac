package org.mobilestylegan.demo

import android.app.Activity
import android.os.Bundle
import android.os.SystemClock
import android.widget.Button
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.SeekBar
import android.widget.TextView
import java.util.concurrent.Executors
import kotlin.random.Random

/** One screen: the face, a truncation slider and a "New face" button. */
class MainActivity : Activity() {
    private val worker = Executors.newSingleThreadExecutor()
    private lateinit var generator: FaceGenerator
    private lateinit var faceView: ImageView
    private lateinit var statusView: TextView
    private var seed = 0L
    private var psi = 0.7f

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        faceView = ImageView(this).apply { adjustViewBounds = true }
        statusView = TextView(this)
        val slider = SeekBar(this).apply {
            max = 100
            progress = (psi * 100).toInt()
            setOnSeekBarChangeListener(object : SeekBar.OnSeekBarChangeListener {
                override fun onProgressChanged(bar: SeekBar, value: Int, fromUser: Boolean) {}
                override fun onStartTrackingTouch(bar: SeekBar) {}
                override fun onStopTrackingTouch(bar: SeekBar) {
                    psi = bar.progress / 100f
                    drawFace()
                }
            })
        }
        val newFace = Button(this).apply {
            text = "New face"
            setOnClickListener {
                seed = Random.nextLong(0L, 1L shl 32)
                drawFace()
            }
        }
        setContentView(LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            listOf(faceView, slider, newFace, statusView).forEach { addView(it) }
        })
        worker.execute { generator = FaceGenerator(this) }
        drawFace()
    }

    private fun drawFace() {
        val (drawSeed, drawPsi) = seed to psi
        statusView.text = "drawing seed $drawSeed"
        worker.execute {
            val start = SystemClock.elapsedRealtime()
            val bitmap = generator.draw(drawSeed, drawPsi)
            val milliseconds = SystemClock.elapsedRealtime() - start
            runOnUiThread {
                faceView.setImageBitmap(bitmap)
                statusView.text = "seed $drawSeed, psi $drawPsi: $milliseconds ms (LiteRT, CPU)"
            }
        }
    }

    override fun onDestroy() {
        worker.execute { generator.close() }
        worker.shutdown()
        super.onDestroy()
    }
}
