//! Tests of the SVG figures.
