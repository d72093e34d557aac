// The latent z that NumPy draws for a seed: RandomState(seed).randn(1, D).
//
// NumPy's legacy RandomState seeds MT19937 with the standard init_genrand recurrence,
// builds each double from two 32-bit outputs (27 + 26 bits), and draws normals with the
// polar Box-Muller method, returning the second value of each pair on the next call.
// Matching all three makes a seed draw the same face here as in Python.
//
// NOTE: Math.log may differ from C's log by one ulp, so a float64 draw can differ from NumPy's in
// its last bits. The float32 latents the models take matched NumPy for every seed the tests try.

const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class MersenneTwister {
  constructor(seed) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer from 0 to 2**32 - 1, got ${seed}`);
    }
    this.state = new Uint32Array(STATE_SIZE);
    this.state[0] = seed >>> 0;
    for (let i = 1; i < STATE_SIZE; i++) {
      const previous = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      this.state[i] = (Math.imul(1812433253, previous) + i) >>> 0;
    }
    this.index = STATE_SIZE;
  }

  regenerate() {
    const state = this.state;
    for (let i = 0; i < STATE_SIZE; i++) {
      const y = (state[i] & UPPER_MASK) | (state[(i + 1) % STATE_SIZE] & LOWER_MASK);
      const mixed = (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      state[i] = state[(i + SHIFT_SIZE) % STATE_SIZE] ^ mixed;
    }
    this.index = 0;
  }

  nextUint32() {
    if (this.index >= STATE_SIZE) {
      this.regenerate();
    }
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  // Returns a double in [0, 1) with 53 random bits, built the way NumPy's random_sample builds it.
  nextDouble() {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864.0 + low) / 9007199254740992.0;
  }
}

export class LegacyNormal {
  constructor(seed) {
    this.generator = new MersenneTwister(seed);
    this.cached = null;
  }

  next() {
    if (this.cached !== null) {
      const value = this.cached;
      this.cached = null;
      return value;
    }
    let x1;
    let x2;
    let radiusSquared;
    do {
      x1 = 2.0 * this.generator.nextDouble() - 1.0;
      x2 = 2.0 * this.generator.nextDouble() - 1.0;
      radiusSquared = x1 * x1 + x2 * x2;
    } while (radiusSquared >= 1.0 || radiusSquared === 0.0);
    const factor = Math.sqrt((-2.0 * Math.log(radiusSquared)) / radiusSquared);
    this.cached = factor * x1;
    return factor * x2;
  }
}

// Returns z (1, size) as float64 values, the same as RandomState(seed).randn(1, size).
export function normalDraws(seed, size) {
  const normal = new LegacyNormal(seed);
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    values[i] = normal.next();
  }
  return values;
}

// Returns z as the models take it: float32, like RandomState(seed).randn(1, size).astype(np.float32).
export function latentForSeed(seed, size) {
  return Float32Array.from(normalDraws(seed, size));
}
