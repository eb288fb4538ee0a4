//! Replays every committed corpus input through its target on the stable
//! toolchain: what libFuzzer once found interesting stays panic-free.

use std::path::Path;

#[test]
fn every_corpus_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in fuzz::TARGETS {
        let dir = root.join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target has a corpus)", dir.display()));
        let mut replayed = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            target(&data);
            replayed += 1;
        }
        assert!(replayed > 0, "{name}: an empty corpus replays nothing");
    }
}

/// The router target reaches what a session and an admin reach: without
/// them the fuzzer would explore only the 401s.
#[test]
fn the_router_target_reaches_logged_in_and_admin_handlers() {
    let status = |flags: u8, method: &str, path: &str| {
        let mut data = vec![flags];
        data.extend_from_slice(format!("{method}\0{path}\0").as_bytes());
        fuzz::api_router_status(&data).unwrap().0.as_u16()
    };
    assert_eq!(status(0, "GET", "/api/me"), 401);
    assert_eq!(status(1, "GET", "/api/me"), 200);
    assert_eq!(
        status(1, "PUT", "/api/me/favourites/user777"),
        403,
        "no Origin"
    );
    assert_eq!(status(3, "PUT", "/api/me/favourites/user777"), 201);
    // Past the session and Origin checks to the body's (none sent).
    assert_eq!(status(3, "PUT", "/api/me/favourites/user777/read"), 400);
    assert_eq!(status(0, "POST", "/api/poller/pause"), 401);
    assert_eq!(status(4, "POST", "/api/poller/pause"), 200);
    // Logging out ends the session; the next input has it again.
    assert_eq!(status(3, "POST", "/auth/logout"), 200);
    assert_eq!(status(1, "GET", "/api/me"), 200);
}
