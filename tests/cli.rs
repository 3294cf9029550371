//! The `marble` command as a user runs it.

use std::process::Command;

pub(crate) fn marble() -> Command {
    Command::new(env!("CARGO_BIN_EXE_marble"))
}

#[test]
fn example_then_dataset_writes_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fields.npz");
    let out = marble().args(["example", "parabola-fields", "--n", "300", "--out"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "local_gauges = true\nk = 15\n").unwrap();
    let outdir = dir.path().join("ds");
    let out = marble()
        .args(["dataset", "--data"])
        .arg(&data)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(&outdir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("4 conditions, 1200 points"), "{stdout}");
    assert!(stdout.contains("manifold dim 2 (local frames)"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outdir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["n_points"], 1200);
    assert_eq!(summary["manifold_dim"], 2);
    assert_eq!(summary["conditions"].as_array().unwrap().len(), 4);
    assert_eq!(summary["conditions"][0]["points_in"], 300);
    assert!(summary["timings"].as_array().unwrap().iter().any(|t| t["step"] == "frames"));
    let npz = marble::dataset::io::read_conditions(&data).unwrap();
    assert_eq!(npz.len(), 4);
    let ds = std::fs::File::open(outdir.join("dataset.npz")).unwrap();
    let mut ds = ndarray_npy::NpzReader::new(ds).unwrap();
    let cond: ndarray::Array1<i64> = ds.by_name("condition").unwrap();
    assert_eq!(cond.len(), 1200);
    let gauges: ndarray::Array3<f64> = ds.by_name("gauges").unwrap();
    assert_eq!(gauges.dim(), (1200, 3, 2));
}

#[test]
fn bad_input_and_params_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "0,0,1,0\n1,1,0,1\n").unwrap();
    let out = marble().args(["dataset", "--data"]).arg(&csv).arg("--out").arg(dir.path().join("o")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`k` = 20 but condition 0 has 2 points"), "{err}");
    let params = dir.path().join("p.json");
    std::fs::write(&params, r#"{"k": 3, "spacnig": 0.1}"#).unwrap();
    let out = marble()
        .args(["dataset", "--data"])
        .arg(&csv)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `spacnig`"), "{err}");
    let out = marble().args(["example", "nonsense", "--out"]).arg(dir.path().join("x.npz")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown example `nonsense`"));
}

pub(crate) fn read_npy<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(
    path: &std::path::Path,
) -> ndarray::Array<T, D> {
    ndarray_npy::read_npy(path).unwrap()
}

#[test]
fn fit_writes_the_named_outputs_and_transform_reproduces_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fields.npz");
    assert!(marble().args(["example", "planar-fields", "--n", "200", "--out"]).arg(&data).status().unwrap().success());
    let params = dir.path().join("p.json");
    std::fs::write(&params, r#"{"epochs": 4, "out_channels": 4}"#).unwrap();
    let run = |threads: &str, out: &std::path::Path| {
        let o = marble()
            .env("RAYON_NUM_THREADS", threads)
            .args(["fit", "--data"])
            .arg(&data)
            .arg("--params")
            .arg(&params)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let (one, two) = (dir.path().join("t1"), dir.path().join("t2"));
    let stdout = run("1", &one);
    assert!(stdout.contains("trained 4 epochs"), "{stdout}");
    run("2", &two);
    let e1: ndarray::Array2<f32> = read_npy(&one.join("embedding.npy"));
    let e2: ndarray::Array2<f32> = read_npy(&two.join("embedding.npy"));
    assert_eq!(e1.dim(), (800, 4));
    let max = (&e1 - &e2).iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(max <= 1e-5, "1 vs 2 threads differ by {max}");
    let cond: ndarray::Array1<i64> = read_npy(&one.join("condition.npy"));
    assert_eq!(cond.to_vec(), (0..800).map(|i| i / 200).collect::<Vec<i64>>());
    let rows: ndarray::Array1<i64> = read_npy(&one.join("sample_index.npy"));
    assert_eq!(rows.to_vec(), (0..800).map(|i| i % 200).collect::<Vec<i64>>());
    for f in ["params.json", "losses.json", "model.json", "model.npz", "checkpoint.json"] {
        assert!(one.join(f).exists(), "{f} missing");
    }
    let losses: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("losses.json")).unwrap()).unwrap();
    assert_eq!(losses["train_loss"].as_array().unwrap().len(), 4);
    // transform with the saved model gives the same embedding.
    let emb = dir.path().join("again.npy");
    let o = marble()
        .args(["transform", "--model"])
        .arg(&one)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&emb)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again: ndarray::Array2<f32> = read_npy(&emb);
    assert_eq!(again, e1);
    // --resume continues the epoch count.
    let o = marble()
        .args(["fit", "--resume", "--data"])
        .arg(&data)
        .arg("--params")
        .arg(&params)
        .arg("--out")
        .arg(&one)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("trained 8 epochs"), "{}", String::from_utf8_lossy(&o.stderr));
    // A model applied to data of another dimension fails with a clear message.
    let other = dir.path().join("parabola.npz");
    assert!(
        marble().args(["example", "parabola-fields", "--n", "100", "--out"]).arg(&other).status().unwrap().success()
    );
    let o = marble()
        .args(["transform", "--model"])
        .arg(&one)
        .arg("--data")
        .arg(&other)
        .arg("--out")
        .arg(&emb)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("embedding dimension = 2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `var` as set, else `$HOME/<dot>`: where rustup or cargo keep their files for this user.
fn real_home_dir(var: &str, dot: &str) -> std::path::PathBuf {
    std::env::var_os(var)
        .map(Into::into)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(dot))
}

pub(crate) fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn fit_writes_the_analysis_and_analyze_recomputes_it_with_decoding() {
    use ndarray::{Array1, Array2, Array4};
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.toml");
    std::fs::write(&params, "k = 10\nepochs = 3\n").unwrap();
    let data = dir.path().join("fields.npz");
    run_ok(marble().args(["example", "planar-fields", "--n", "150", "--out"]).arg(&data));
    let run = dir.path().join("run");
    let stdout =
        run_ok(marble().args(["fit", "--data"]).arg(&data).arg("--params").arg(&params).arg("--out").arg(&run));
    assert!(stdout.contains("distances between conditions (points, exact)"), "{stdout}");
    let d: Array2<f64> = ndarray_npy::read_npy(run.join("distances.npy")).unwrap();
    assert_eq!(d.dim(), (4, 4));
    for a in 0..4 {
        assert_eq!(d[[a, a]], 0.0);
        for b in 0..4 {
            assert_eq!(d[[a, b]], d[[b, a]]);
        }
    }
    let clusters: Array1<i64> = ndarray_npy::read_npy(run.join("clusters.npy")).unwrap();
    assert_eq!(clusters.len(), 600);
    assert_eq!(clusters.iter().max(), Some(&14), "15 clusters by default");
    for svg in ["embedding", "distances", "clusters", "losses", "vector_field"] {
        let text = std::fs::read_to_string(run.join(format!("{svg}.svg"))).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{svg}.svg: {e}"));
    }

    // Re-analysis with cluster histograms writes the transport plans.
    let stdout = run_ok(
        marble().args(["analyze", "--clusters", "6", "--distance", "clusters", "--view", "pca", "--run"]).arg(&run),
    );
    assert!(stdout.contains("(clusters, exact)"), "{stdout}");
    let plans: Array4<f64> = ndarray_npy::read_npy(run.join("transport_plans.npy")).unwrap();
    assert_eq!(plans.dim(), (4, 4, 6, 6));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("analysis.json")).unwrap()).unwrap();
    assert_eq!(record["params"]["n_clusters"], 6);
    assert_eq!(record["view_method"], "pca");

    // Decode the anchors themselves: the PCA baseline (3 components of 2-D input) recovers
    // them exactly, grouped by condition.
    let anchors: Array2<f32> = ndarray_npy::read_npy(run.join("anchor.npy")).unwrap();
    let behaviour = dir.path().join("behaviour.npy");
    ndarray_npy::write_npy(&behaviour, &anchors.mapv(f64::from)).unwrap();
    let stdout = run_ok(
        marble()
            .args(["analyze", "--clusters", "6", "--groups", "condition", "--folds", "4", "--run"])
            .arg(&run)
            .arg("--behaviour")
            .arg(&behaviour),
    );
    assert!(stdout.contains("4-fold grouped cross-validation"), "{stdout}");
    let dec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("decoding.json")).unwrap()).unwrap();
    let base = dec["pca_baseline"]["r2_mean"].as_f64().unwrap();
    assert!(base > 0.999, "{dec}");
    assert_eq!(dec["latents"]["dims"], 3);
    assert!(!run.join("transport_plans.npy").exists(), "stale plans removed after a points analysis");

    // Behaviour with the wrong number of rows is refused with both accepted sizes named.
    let short = dir.path().join("short.npy");
    ndarray_npy::write_npy(&short, &Array2::<f64>::zeros((10, 2))).unwrap();
    let out = marble().args(["analyze", "--run"]).arg(&run).arg("--behaviour").arg(&short).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`behaviour`: has 10 rows; give one row per point (600) or one per input row (600)"), "{err}");
    let out = marble().args(["analyze", "--distance", "nearest", "--run"]).arg(&run).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--distance nearest: choose one of points, clusters"));
}

#[test]
fn kernel_install_writes_a_spec_that_preloads_the_crate() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A stand-in for evcxr that records how the launcher ran it.
    let fake = bin.join("evcxr_jupyter");
    let record = dir.path().join("ran.txt");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n[ \"$1\" = --version ] && echo \"evcxr_jupyter $FAKE_EVCXR_VERSION\" && exit 0\n\
             echo \"$@\" \"$EVCXR_TMPDIR\" \"$EVCXR_CONFIG_DIR\" \"$MARBLE_BIN\" \"$LD_LIBRARY_PATH\" > {:?}\n",
            record.display().to_string()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let prefix = dir.path().join("env");
    let cache = dir.path().join("cache");
    let stdout = run_ok(
        marble()
            .args(["kernel", "install", "--no-build", "--prefix"])
            .arg(&prefix)
            .arg("--cache")
            .arg(&cache)
            .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
            .env("HOME", dir.path()),
    );
    assert!(stdout.contains("MARBLE (Rust)") && stdout.contains("--no-build"), "{stdout}");
    let spec_dir = prefix.join("share/jupyter/kernels/marble-rust");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir.join("kernel.json")).unwrap()).unwrap();
    assert_eq!(spec["display_name"], "MARBLE (Rust)");
    let argv: Vec<&str> = spec["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(argv[0], env!("CARGO_BIN_EXE_marble"));
    assert_eq!(argv[1..4], ["kernel", "start", "--spec-dir"]);
    assert_eq!(argv[5], "{connection_file}");
    let setup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir.join("marble-kernel.json")).unwrap()).unwrap();
    // The sources the binary was built from (this checkout, when nothing else shares its
    // target folder).
    let here = std::path::PathBuf::from(setup["crate_dir"].as_str().unwrap());
    assert!(std::fs::read_to_string(here.join("Cargo.toml")).unwrap().contains("name = \"marble\""));
    assert_eq!(setup["evcxr"], fake.to_str().unwrap());
    assert_eq!(setup["features"], serde_json::json!([]), "the lean kernel by default");
    // What Jupyter runs: with no build ready, evcxr starts on a snapshot of the sources, in a
    // slot of the cache, with a configuration that loads the crate and marks the build ready.
    let conn = dir.path().join("connection.json");
    let start = |version: &str| {
        std::process::Command::new(argv[0]).args(&argv[1..5]).arg(&conn).env("FAKE_EVCXR_VERSION", version).output()
    };
    let out = start("0.22.0").unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("tested with"), "the tested evcxr: no warning");
    let ran = std::fs::read_to_string(&record).unwrap();
    let words: Vec<&str> = ran.split_whitespace().collect();
    assert_eq!(words[..2], ["--control_file", conn.to_str().unwrap()]);
    let (slot, config) = (std::path::Path::new(words[2]), std::path::Path::new(words[3]));
    // A lean kernel's `server::spawn` runs this binary's `serve`.
    assert_eq!(words[4], env!("CARGO_BIN_EXE_marble"), "{ran}");
    // evcxr's libraries find the toolchain's standard library on the loader's path, wherever
    // the cache is: its folder comes first.
    assert_eq!(std::path::Path::new(words[5].split(':').next().unwrap()), toolchain_lib_dir(), "{ran}");
    // Another evcxr version: the kernel says which one it is tested with.
    let out = start("0.17.0").unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("tested with evcxr_jupyter 0.22.0") && said.contains("is 0.17.0"), "{said}");
    assert!(slot.starts_with(cache.canonicalize().unwrap()) && slot.ends_with("slot-0"), "{ran}");
    let build = slot.parent().unwrap();
    let init = std::fs::read_to_string(config.join("init.evcxr")).unwrap();
    let snapshot = build.join("crate");
    assert!(
        init.contains(&format!(
            ":dep marble = {{ path = {:?}, default-features = false, features = [] }}",
            snapshot.display().to_string()
        )),
        "{init}"
    );
    assert!(!init.contains(":cache"), "evcxr's cache is off: {init}");
    assert_eq!(std::fs::read(snapshot.join("src/lib.rs")).unwrap(), std::fs::read(here.join("src/lib.rs")).unwrap());
    let prelude = std::fs::read_to_string(config.join("prelude.rs")).unwrap();
    assert!(prelude.starts_with("use marble::prelude::*;\n") && prelude.contains("mark_ready"), "{prelude}");
    // A feature marble does not have is refused with the ones it has.
    let out = marble()
        .args(["kernel", "install", "--no-build", "--features", "gpu", "--prefix"])
        .arg(&prefix)
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("server, postgres, s3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without evcxr the message says how to get it.
    let out = marble()
        .args(["kernel", "install", "--prefix"])
        .arg(&prefix)
        .env("PATH", dir.path().join("nothing"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo install evcxr_jupyter --locked --version 0.22.0"));
}

/// `rustc --print sysroot`'s library folder for the host.
fn toolchain_lib_dir() -> std::path::PathBuf {
    let run = |args: &[&str]| {
        String::from_utf8(std::process::Command::new("rustc").args(args).output().unwrap().stdout).unwrap()
    };
    let host = run(&["-vV"]).lines().find_map(|l| l.strip_prefix("host: ").map(str::to_string)).unwrap();
    std::path::Path::new(run(&["--print", "sysroot"]).trim()).join("lib/rustlib").join(host).join("lib")
}

#[test]
fn doctor_names_what_the_kernel_lacks_one_line_each() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    script("evcxr_jupyter", "[ \"$1\" = --version ] && echo \"evcxr_jupyter 0.21.0\"");
    let prefix = dir.path().join("env");
    // A jupyter that reports the venv's data folder, as `jupyter --paths --json` does.
    let data = prefix.join("share/jupyter");
    let jupyter = script("jupyter", &format!("echo '{{\"data\": [\"{}\"]}}'", data.display()));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let doctor = || {
        marble()
            .args(["doctor", "--jupyter"])
            .arg(&jupyter)
            .env("PATH", &path)
            .env("HOME", dir.path())
            // rustup finds its toolchains under $HOME unless told: keep the real ones.
            .env("RUSTUP_HOME", real_home_dir("RUSTUP_HOME", ".rustup"))
            .env("CARGO_HOME", real_home_dir("CARGO_HOME", ".cargo"))
            .env("MARBLE_KERNEL_CACHE", dir.path().join("cache"))
            .output()
            .unwrap()
    };
    // Nothing installed: the spec is missing, and the line says how to install it.
    let out = doctor();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{said}");
    let line = |what: &str| said.lines().find(|l| l.contains(&format!("{what}: "))).unwrap_or_default().to_string();
    assert!(line("toolchain").starts_with("ok") && line("toolchain").contains("rustc "), "{said}");
    assert!(line("toolchain").contains(toolchain_lib_dir().to_str().unwrap()), "{said}");
    assert!(line("evcxr").starts_with("warn") && line("evcxr").contains("0.21.0"), "{said}");
    assert!(line("evcxr").contains("--version 0.22.0"), "{said}");
    assert!(line("kernel spec").starts_with("FAIL") && line("kernel spec").contains("marble kernel install"), "{said}");
    // Installed (spec only): Jupyter sees it; the cache has no ready build, so no cell is run.
    run_ok(
        marble()
            .args(["kernel", "install", "--no-build", "--prefix"])
            .arg(&prefix)
            .env("PATH", &path)
            .env("MARBLE_KERNEL_CACHE", dir.path().join("cache")),
    );
    let out = doctor();
    let said = String::from_utf8_lossy(&out.stdout);
    let line = |what: &str| said.lines().find(|l| l.contains(&format!("{what}: "))).unwrap_or_default().to_string();
    assert!(line("kernel spec").starts_with("ok") && line("kernel spec").contains(data.to_str().unwrap()), "{said}");
    assert!(line("cache").starts_with("FAIL") && line("cache").contains("no ready build"), "{said}");
    assert!(line("first cell").starts_with("skip"), "{said}");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("1 of the kernel's checks failed"));
}
