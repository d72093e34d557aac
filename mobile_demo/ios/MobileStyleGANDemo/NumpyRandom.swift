import Foundation

/// The normal draws of NumPy's legacy RandomState(seed).randn, so a seed gives the same face as in
/// Python: MT19937 seeded with init_genrand, 53-bit doubles from two 32-bit outputs, and polar
/// Box-Muller that returns the second value of each pair on the next call.
struct NumpyRandom {
    private static let stateSize = 624
    private static let shiftSize = 397
    private var state = [UInt32](repeating: 0, count: stateSize)
    private var index = stateSize
    private var cachedGauss: Double?

    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<Self.stateSize {
            let previous = state[i - 1] ^ (state[i - 1] >> 30)
            state[i] = 1_812_433_253 &* previous &+ UInt32(i)
        }
    }

    private mutating func regenerate() {
        for i in 0..<Self.stateSize {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % Self.stateSize] & 0x7fff_ffff)
            let mixed = (y >> 1) ^ ((y & 1) != 0 ? 0x9908_b0df : 0)
            state[i] = state[(i + Self.shiftSize) % Self.stateSize] ^ mixed
        }
        index = 0
    }

    mutating func nextUInt32() -> UInt32 {
        if index >= Self.stateSize { regenerate() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    mutating func nextDouble() -> Double {
        let high = Double(nextUInt32() >> 5)
        let low = Double(nextUInt32() >> 6)
        return (high * 67_108_864.0 + low) / 9_007_199_254_740_992.0
    }

    mutating func nextGauss() -> Double {
        if let cached = cachedGauss {
            cachedGauss = nil
            return cached
        }
        var x1 = 0.0, x2 = 0.0, radiusSquared = 0.0
        repeat {
            x1 = 2.0 * nextDouble() - 1.0
            x2 = 2.0 * nextDouble() - 1.0
            radiusSquared = x1 * x1 + x2 * x2
        } while radiusSquared >= 1.0 || radiusSquared == 0.0
        let factor = (-2.0 * log(radiusSquared) / radiusSquared).squareRoot()
        cachedGauss = factor * x1
        return factor * x2
    }
}
