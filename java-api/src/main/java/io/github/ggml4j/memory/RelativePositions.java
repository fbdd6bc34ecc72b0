package io.github.ggml4j.memory;

/**
 * T5's relative position buckets (Raffel et al. 2020), as llama.cpp's {@code llama_relative_position_bucket}
 * computes them: distances below half the buckets (of each direction, when bidirectional) have a bucket each,
 * longer ones share logarithmically wider buckets up to a distance of 128. Attention adds a learned bias per
 * head and bucket to each query–key score.
 */
public final class RelativePositions {

    private static final int MAX_DISTANCE = 128;

    private RelativePositions() {
    }

    /**
     * The bucket of a key at {@code keyPos} seen from a query at {@code queryPos}.
     *
     * @param bidirectional an encoder's buckets (keys on either side), else a decoder's (earlier keys only)
     */
    public static int bucket(int keyPos, int queryPos, int nBuckets, boolean bidirectional) {
        int n = bidirectional ? nBuckets >> 1 : nBuckets;
        int maxExact = n >> 1;
        int relative = keyPos - queryPos;
        int bucket = 0;
        if (bidirectional) {
            bucket += relative > 0 ? n : 0;
            relative = Math.abs(relative);
        } else {
            relative = -Math.min(relative, 0);
        }
        if (relative < maxExact) {
            return bucket + relative;
        }
        // the reference's float and double steps, in its order: logf of the ratio, times a float, over a double log
        float logRatio = (float) Math.log((float) (1.0 * relative / maxExact));
        float scaled = logRatio * (float) (n - maxExact);
        double large = maxExact + scaled / Math.log(1.0 * MAX_DISTANCE / maxExact);
        int ifLarge = (int) Math.floor((float) large);
        return bucket + Math.min(ifLarge, n - 1);
    }
}
