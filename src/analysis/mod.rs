//! Stage 4: analysis.
