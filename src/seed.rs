//! Seeded random streams. Every random draw in the crate comes from the user's seed through
//! [`rng_for`], one stream per purpose ([`Stream`]) and index (a condition, an epoch, a
//! batch, a point), so a result does not depend on what else was drawn before it, nor on
//! the number of threads.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is for. The numbers are part of every seeded result: changing one
/// changes the results of that seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Stream {
    /// The first point of farthest-point sampling; index: the condition.
    SamplingStart = 1,
    /// The train / validation / test split; index 0.
    Split = 2,
    /// The eigensolver's start; index: 2 x condition, + 1 for the connection Laplacian.
    Eigen = 3,
    /// An epoch's shuffle, positives, negatives and sampled neighbours; index: the epoch.
    Train = 10,
    /// Positives and negatives of the validation (index 0) and test (index 1) losses.
    Eval = 11,
    /// The network's initial weights; index 0.
    Init = 12,
    /// A training batch's dropout masks; index: epoch x batches per epoch + batch.
    Dropout = 1010,
    /// k-means++ starts; index: the restart.
    KMeans = 20,
    /// UMAP's subsample and jitter (index 0) and each point's negative samples (1 + point).
    Umap = 21,
    /// The order of groups dealt into cross-validation folds; index 0.
    Folds = 22,
    /// Subsamples of the point clouds compared by optimal transport; index: the condition.
    OtSubsample = 23,
    /// The points whose UMAP layout is optimised; index: the condition (group).
    ViewSample = 24,
    /// Negative samples of the points UMAP places by its transform; index: the point.
    ViewPlace = 25,
}

/// The random stream for one purpose and index, derived from the user's seed.
pub fn rng_for(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream((stream as u64).wrapping_mul(1 << 32).wrapping_add(index));
    r
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn streams_keep_their_numbers() {
        use Stream::*;
        let numbers = [
            (SamplingStart, 1),
            (Split, 2),
            (Eigen, 3),
            (Train, 10),
            (Eval, 11),
            (Init, 12),
            (Dropout, 1010),
            (KMeans, 20),
            (Umap, 21),
            (Folds, 22),
            (OtSubsample, 23),
        ];
        for (stream, n) in numbers {
            assert_eq!(stream as u64, n, "{stream:?}");
        }
        let mut raw = ChaCha8Rng::seed_from_u64(7);
        raw.set_stream((1010 << 32) + 5);
        assert_eq!(rng_for(7, Dropout, 5).random::<u64>(), raw.random::<u64>());
        assert_ne!(rng_for(7, Dropout, 5).random::<u64>(), rng_for(7, Dropout, 6).random::<u64>());
    }
}
