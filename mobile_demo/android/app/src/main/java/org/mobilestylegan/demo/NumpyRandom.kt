package org.mobilestylegan.demo

/**
 * The normal draws of NumPy's legacy RandomState(seed).randn, so a seed gives the same face as in
 * Python: MT19937 seeded with init_genrand, 53-bit doubles from two 32-bit outputs, and polar
 * Box-Muller that returns the second value of each pair on the next call.
 */
class NumpyRandom(seed: Long) {
    private val state = IntArray(STATE_SIZE)
    private var index = STATE_SIZE
    private var hasCachedGauss = false
    private var cachedGauss = 0.0

    init {
        require(seed in 0..0xffffffffL) { "seed must be an integer from 0 to 2^32 - 1, got $seed" }
        state[0] = seed.toInt()
        for (i in 1 until STATE_SIZE) {
            val previous = state[i - 1] xor (state[i - 1] ushr 30)
            state[i] = 1812433253 * previous + i // Int arithmetic wraps modulo 2^32, as the C code does.
        }
    }

    private fun regenerate() {
        for (i in 0 until STATE_SIZE) {
            val y = (state[i] and UPPER_MASK) or (state[(i + 1) % STATE_SIZE] and LOWER_MASK)
            val mixed = (y ushr 1) xor (if ((y and 1) != 0) MATRIX_A else 0)
            state[i] = state[(i + SHIFT_SIZE) % STATE_SIZE] xor mixed
        }
        index = 0
    }

    /** Returns the next 32-bit output as an unsigned value. */
    fun nextUInt32(): Long {
        if (index >= STATE_SIZE) regenerate()
        var y = state[index++]
        y = y xor (y ushr 11)
        y = y xor ((y shl 7) and TEMPER_B)
        y = y xor ((y shl 15) and TEMPER_C)
        y = y xor (y ushr 18)
        return y.toLong() and 0xffffffffL
    }

    fun nextDouble(): Double {
        val high = nextUInt32() ushr 5
        val low = nextUInt32() ushr 6
        return (high * 67108864.0 + low) / 9007199254740992.0
    }

    fun nextGauss(): Double {
        if (hasCachedGauss) {
            hasCachedGauss = false
            return cachedGauss
        }
        var x1: Double
        var x2: Double
        var radiusSquared: Double
        do {
            x1 = 2.0 * nextDouble() - 1.0
            x2 = 2.0 * nextDouble() - 1.0
            radiusSquared = x1 * x1 + x2 * x2
        } while (radiusSquared >= 1.0 || radiusSquared == 0.0)
        val factor = Math.sqrt(-2.0 * Math.log(radiusSquared) / radiusSquared)
        cachedGauss = factor * x1
        hasCachedGauss = true
        return factor * x2
    }

    /** z as the models take it: RandomState(seed).randn(1, size).astype(float32). */
    fun normalFloats(size: Int): FloatArray = FloatArray(size) { nextGauss().toFloat() }

    private companion object {
        const val STATE_SIZE = 624
        const val SHIFT_SIZE = 397
        const val MATRIX_A = 0x9908b0df.toInt()
        const val UPPER_MASK = Int.MIN_VALUE
        const val LOWER_MASK = Int.MAX_VALUE
        const val TEMPER_B = 0x9d2c5680.toInt()
        const val TEMPER_C = 0xefc60000.toInt()
    }
}
