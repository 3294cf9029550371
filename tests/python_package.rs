//! The Python package in python/ (marble-rs): its pytest suite and the Python notebook, run
//! with the interpreter of a fresh venv into which .ci/run installed the wheel it built.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `MARBLE_PYPKG_PYTHON`: a venv's python with the marble-rs wheel of this checkout, pytest,
/// tqdm, scikit-learn, nbclient and ipykernel (.ci/run makes it). Without it the tests say
/// so and pass, unless `MARBLE_REQUIRE_PYPKG` is set (as in CI).
fn python() -> Option<PathBuf> {
    crate::external_tool(
        "MARBLE_PYPKG_PYTHON",
        "MARBLE_REQUIRE_PYPKG",
        "a venv's python with the marble-rs wheel installed (maturin build python/), pytest and nbclient",
    )
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

#[test]
fn the_pytest_suite_passes_on_both_engines() {
    let Some(py) = python() else { return };
    let text = run(Command::new(py)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests"])
        .current_dir(root())
        .env("MARBLE_BIN", env!("CARGO_BIN_EXE_marble"))
        .env("MARBLE_REQUIRE_SERVER", "1"));
    // Every test ran: none skipped for want of the server or scikit-learn.
    assert!(text.contains(" passed") && !text.contains("skipped"), "{text}");
}

/// Run `notebooks/python/<name>` headless at nbclient's defaults with `py`, and check that
/// it prints what it was stored with: the streams, and how many SVG figures it shows.
fn run_notebook(py: &std::path::Path, name: &str) -> serde_json::Value {
    let script = r#"
import json, sys, nbformat, nbclient
path = sys.argv[1]
stored = nbformat.read(path, 4)
fresh = nbformat.read(path, 4)
nbclient.NotebookClient(fresh, kernel_name="python3").execute()
def streams(nb):
    return [o["text"] for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "stream"]
def svgs(nb):
    return sum("image/svg+xml" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
print(json.dumps({"same": streams(stored) == streams(fresh), "stored": streams(stored), "fresh": streams(fresh),
                  "svg": svgs(fresh), "stored_svg": svgs(stored)}))
"#;
    let nb = root().join("notebooks/python").join(name);
    let out = run(Command::new(py).arg("-c").arg(script).arg(&nb));
    let line = out.lines().rev().find(|l| l.starts_with('{')).expect("a JSON line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["same"], true, "{name}: the stored outputs differ from a fresh run: {v}");
    v
}

/// The notebook runs headless at nbclient's defaults and prints what it was stored with
/// (seeded: the same distances and correlation), and shows its figure as SVG.
#[test]
fn the_python_notebook_runs_and_reproduces_its_stored_outputs() {
    let Some(py) = python() else { return };
    let v = run_notebook(&py, "01_van_der_pol.ipynb");
    assert!(v["fresh"].as_array().unwrap().len() >= 3, "{v}");
    assert_eq!((v["svg"].as_u64(), v["stored_svg"].as_u64()), (Some(1), Some(1)), "{v}");
    // The distances follow mu: their ranks correlate with |mu_i - mu_j|.
    let fresh: Vec<&str> = v["fresh"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    let line = fresh.iter().flat_map(|s| s.lines()).find(|l| l.starts_with("Spearman")).expect("the correlation line");
    let rho: f64 = line.rsplit(' ').next().unwrap().trim().parse().unwrap();
    assert!(rho > 0.6, "{line}");
}

/// The across-animals notebook (Mihi and Chewie as groups of one model) runs from the data
/// in ../shared/data and reproduces its stored matching and transfer figures.
#[test]
fn the_across_animals_notebook_runs_and_reproduces_its_stored_outputs() {
    let Some(text) = run_data_notebook("02_across_animals.ipynb", "monkey_m1_centre_out/chewie.npz") else { return };
    assert!(text.contains("mihi -> chewie:") && text.contains("train chewie, test mihi:"), "{text}");
}

/// Run a notebook that reads `data` from ../shared/data (None, skipped, where Python or the
/// data is absent), check that it reproduces its stored outputs and shows one SVG figure,
/// and return the text it printed.
fn run_data_notebook(name: &str, data: &str) -> Option<String> {
    let py = python()?;
    if !root().join("../shared/data").join(data).exists() {
        eprintln!("skipped: ../shared/data/{data} is absent");
        return None;
    }
    let v = run_notebook(&py, name);
    assert_eq!((v["svg"].as_u64(), v["stored_svg"].as_u64()), (Some(1), Some(1)), "{v}");
    Some(v["fresh"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect())
}

/// The numbers printed on the line of `text` that starts with `prefix` (after it), in order.
fn numbers_after(text: &str, prefix: &str) -> Vec<f64> {
    let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line `{prefix}`:\n{text}"));
    line[prefix.len()..].split_whitespace().filter_map(|w| w.trim_matches(|c| ",()".contains(c)).parse().ok()).collect()
}

/// The rat linear-track notebook runs from the recording in ../shared/data, reproduces its
/// stored outputs, and decodes position (latents and PCA) and direction (latents, every
/// seed) above chance by the bars of `tests/analysis.rs`'s rat test: R^2 > 0.25 for
/// position, accuracy > 0.65 and 0.1 above chance for direction.
#[test]
fn the_rat_linear_track_notebook_runs_and_reproduces_its_stored_outputs() {
    let data = "rat_linear_track/linear_track_run_25ms.csv";
    let Some(text) = run_data_notebook("03_rat_linear_track.ipynb", data) else { return };
    let r2_ok = |r: &f64| r.is_finite() && *r <= 1.0;
    // Latents, then PCA.
    let position = numbers_after(&text, "position R^2:");
    assert!(position.len() == 2 && position.iter().all(|r| r2_ok(r) && *r > 0.25), "{position:?}\n{text}");
    let direction = numbers_after(&text, "direction R^2:");
    assert!(direction.len() == 2 && direction.iter().all(r2_ok), "{direction:?}\n{text}");
    let [accuracy, chance] = numbers_after(&text, "direction accuracy from latents:")[..] else { panic!("{text}") };
    let above_chance = |a: f64| a <= 1.0 && a > 0.65 && a > chance + 0.1;
    assert!((0.5..0.6).contains(&chance) && above_chance(accuracy), "{text}");
    // Three more seeds: position R^2, direction R^2 and direction accuracy each.
    for seed in 1..=3 {
        let s = numbers_after(&text, &format!("seed {seed}:"));
        assert!(s.len() == 3 && r2_ok(&s[0]) && s[0] > 0.25 && r2_ok(&s[1]) && above_chance(s[2]), "{s:?}\n{text}");
    }
}
