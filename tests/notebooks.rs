//! Every notebook in notebooks/ runs headless with the installed kernel, with no error
//! output and the figures it prints in range; the outputs stored in the repository (written
//! by scripts/refresh-notebooks) are those of the same cells, small, and in range too.
//!
//! Needs `jupyter execute` (nbclient) and `evcxr_jupyter`: `MARBLE_JUPYTER` names the
//! `jupyter` command (.ci/run sets it). Without it the test says so and passes, unless
//! `MARBLE_REQUIRE_NOTEBOOKS` is set (as in CI).

use std::path::{Path, PathBuf};
use std::process::Command;

fn jupyter() -> Option<PathBuf> {
    crate::external_tool(
        "MARBLE_JUPYTER",
        "MARBLE_REQUIRE_NOTEBOOKS",
        "a jupyter with nbclient, and evcxr_jupyter installed",
    )
}

/// Text of every output of every code cell, failing on errors and panics.
fn outputs(nb: &Path) -> String {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(nb).unwrap()).unwrap();
    let mut text = String::new();
    for (i, cell) in doc["cells"].as_array().unwrap().iter().enumerate() {
        for out in cell["outputs"].as_array().into_iter().flatten() {
            let kind = out["output_type"].as_str().unwrap_or("");
            assert_ne!(kind, "error", "{}: cell {i} failed: {out}", nb.display());
            let body = match kind {
                "stream" => out["text"].clone(),
                _ => out["data"].clone(),
            };
            let piece = match &body {
                serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect::<String>(),
                other => other.to_string(),
            };
            if out["name"] == "stderr" {
                assert!(
                    !piece.contains("panicked at") && !piece.contains("Error"),
                    "{}: cell {i}: {piece}",
                    nb.display()
                );
            }
            text.push_str(&piece);
            text.push('\n');
        }
    }
    text
}

fn check(text: &str, key: &str) -> Vec<f64> {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("CHECK {key}")))
        .unwrap_or_else(|| panic!("no CHECK {key} in {text}"));
    line.split_whitespace().skip(2).map(|v| v.parse().unwrap()).collect()
}

/// The mean of the R^2 figures on the line that starts with `what` and shows `R^2 a b`.
fn mean_r2(text: &str, what: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(what) && l.contains("R^2"))
        .unwrap_or_else(|| panic!("no `{what} ... R^2` line in {text}"));
    let r2: Vec<f64> = line.split("R^2").nth(1).unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    assert_eq!(r2.len(), 2, "{line}");
    r2.iter().sum::<f64>() / 2.0
}

const NOTEBOOKS: [&str; 5] =
    ["01_quick_start", "02_curved_surface", "03_van_der_pol", "04_over_http", "05_monkey_reaching"];

/// Largest stored output, and all of a notebook's outputs, in bytes of JSON.
const MAX_OUTPUT: usize = 256 << 10;
const MAX_NOTEBOOK_OUTPUTS: usize = 512 << 10;

/// Per cell: its type and source, and for code cells the kinds of output it shows
/// (output type and MIME types; stderr left out, as build chatter may differ).
fn shape(nb: &Path) -> Vec<(String, String, Vec<String>)> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(nb).unwrap()).unwrap();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect::<String>(),
        other => other.as_str().unwrap_or("").to_string(),
    };
    doc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| {
            let kinds = cell["outputs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|o| o["name"] != "stderr")
                .map(|o| {
                    let mut mimes: Vec<&str> =
                        o["data"].as_object().map(|d| d.keys().map(String::as_str).collect()).unwrap_or_default();
                    mimes.sort();
                    format!("{} {}", o["output_type"].as_str().unwrap_or(""), mimes.join(","))
                })
                .collect();
            (cell["cell_type"].as_str().unwrap_or("").to_string(), text(&cell["source"]), kinds)
        })
        .collect()
}

/// The outputs stored with a notebook: present, small, and free of errors.
fn stored(nb: &Path) -> String {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(nb).unwrap()).unwrap();
    let mut total = 0;
    for (i, cell) in doc["cells"].as_array().unwrap().iter().enumerate() {
        for out in cell["outputs"].as_array().into_iter().flatten() {
            let size = out.to_string().len();
            assert!(size <= MAX_OUTPUT, "{}: cell {i} stores {size} bytes of output", nb.display());
            total += size;
        }
    }
    assert!(total <= MAX_NOTEBOOK_OUTPUTS, "{}: {total} bytes of outputs", nb.display());
    assert!(total > 0, "{}: no outputs stored; run scripts/refresh-notebooks", nb.display());
    outputs(nb)
}

/// What each notebook prints must be in range (`texts` in the order of NOTEBOOKS).
fn assert_in_range(texts: &[String], which: &str) {
    // 01: every pair of fields is told apart.
    assert!(check(&texts[0], "min_off_diagonal")[0] > 0.05, "{which}: {}", texts[0]);
    assert!(texts[0].contains("<svg"), "{which}: 01 shows figures");
    assert!(texts[0].contains("flow left"), "{which}: 01 names its conditions");
    // 02: the parabola is found to be 2-dimensional.
    assert_eq!(check(&texts[1], "manifold_dim"), vec![2.0], "{which}");
    // 03: latent distances order the conditions by mu (one adjacent swap at most among the
    // three fields past the bifurcation), and fields on the same side of the bifurcation
    // are closer than fields across it.
    assert!(check(&texts[2], "spearman")[0] >= 0.9, "{which}: {}", texts[2]);
    let [within, across] = check(&texts[2], "bifurcation")[..] else { panic!("two figures") };
    assert!(within < across, "{which}: {}", texts[2]);
    assert!(texts[2].contains("mu = -0.5"), "{which}: 03 names its conditions by mu");
    assert!(
        texts[2].contains("Condition map") && texts[2].contains("axes explain"),
        "{which}: 03 shows the condition map"
    );
    // 04: 4 x 100 points embedded over HTTP.
    assert_eq!(check(&texts[3], "rows"), vec![400.0], "{which}");
    // 05: decoding when the data are present.
    if texts[4].contains("skipped") {
        eprintln!("{which} 05: the monkey recordings are absent; the notebook said so");
    } else {
        // What the notebook shows: R^2 of the two velocity components, from the MARBLE
        // latents and from PCA at the same dimension; their means (measured: 0.568 and 0.525).
        let (marble, pca) = (mean_r2(&texts[4], "MARBLE latents"), mean_r2(&texts[4], "PCA"));
        assert!(marble > 0.5 && pca > 0.4 && marble > pca, "{which}: {marble} {pca}");
    }
}

#[test]
fn stored_notebooks_show_their_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let texts: Vec<String> = NOTEBOOKS.iter().map(|n| stored(&root.join(format!("notebooks/{n}.ipynb")))).collect();
    if texts[4].contains("skipped") {
        panic!("05 was stored without the monkey data; run scripts/refresh-notebooks where ../shared/data exists");
    }
    assert_in_range(&texts, "stored");
}

#[test]
fn notebooks_run_headless_with_the_bundled_kernel() {
    let Some(jupyter) = jupyter() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let prefix = work.path().join("prefix");
    // The kernel's builds: in the kernel's default cache (~/.cache/marble/kernel, beside
    // rustup's ~/.rustup, as a user's install has them: a layout where a library loaded by a
    // relative RUNPATH once failed), unless MARBLE_NOTEBOOK_BUILD_DIR names another. Kept
    // between runs, so the install compiles only what changed, as a user's re-run does.
    let mut install = Command::new(env!("CARGO_BIN_EXE_marble"));
    install.args(["kernel", "install", "--prefix"]).arg(&prefix);
    if let Some(cache) = std::env::var_os("MARBLE_NOTEBOOK_BUILD_DIR") {
        install.arg("--cache").arg(cache);
    }
    let out = install.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The install compiled (or found compiled) the kernel's build, and says how big it is.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("GiB in"), "{said}");
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(prefix.join("share/jupyter/kernels/marble-rust/kernel.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(spec["display_name"], "MARBLE (Rust)");
    assert_eq!((&spec["argv"][1], &spec["argv"][2]), (&serde_json::json!("kernel"), &serde_json::json!("start")));
    // The first-contact check finds the spec through this jupyter, the ready build, and a
    // first cell that loads.
    let out = Command::new(env!("CARGO_BIN_EXE_marble"))
        .args(["doctor", "--jupyter"])
        .arg(&jupyter)
        .env("JUPYTER_PATH", prefix.join("share/jupyter"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    for what in ["toolchain", "evcxr", "kernel spec", "cache", "first cell"] {
        assert!(said.lines().any(|l| l.starts_with("ok") && l.contains(&format!("{what}: "))), "{what}: {said}");
    }
    let mut texts = Vec::new();
    for name in NOTEBOOKS {
        let nb = work.path().join(format!("{name}.ipynb"));
        std::fs::copy(root.join("notebooks").join(format!("{name}.ipynb")), &nb).unwrap();
        // Jupyter's default timeouts: the kernel must answer within 60 s of its start.
        let out = Command::new(&jupyter)
            .args(["execute", "--inplace", "--kernel_name=marble-rust"])
            .arg(&nb)
            .env("JUPYTER_PATH", prefix.join("share/jupyter"))
            .env("MARBLE_DATA_DIR", work.path().join(format!("data-{name}")))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let text = outputs(&nb);
        let absent_data = text.contains("skipped");
        texts.push(text);
        // The stored outputs are those of these very cells (05 is stored with the monkey
        // data; without it here, it prints that it skipped).
        let committed = root.join("notebooks").join(format!("{name}.ipynb"));
        let (fresh, kept) = (shape(&nb), shape(&committed));
        assert!(
            absent_data || fresh == kept,
            "{name}: the stored outputs differ in kind from a fresh run; run scripts/refresh-notebooks {name}\n\
             fresh: {fresh:?}\nstored: {kept:?}"
        );
    }
    assert_in_range(&texts, "fresh");
}
