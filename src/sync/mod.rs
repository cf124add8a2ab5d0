//! Directory sync between a local folder and a bucket (workflows spec §1), the pure part: the
//! `include`/`exclude` filters ([`filter`], §1.5), the planner ([`plan`]: sides and validation
//! §1.3, remote path rules §1.4.2, the decision table §1.6) and the JSON Lines plan file
//! ([`planfile`], §1.7, byte-compatible with the official client's, with the times of [`time`]),
//! and the streaming file hash of the `checksum` mode ([`checksum`]).
//!
//! No I/O here: the caller walks the local directory and lists the bucket, feeds both to a
//! [`Planner`], and gets the operations in code-point order of the path.
//!
//! ```
//! use hf_buckets::sync::{format_plan, resolve_sides, CompareOptions, Filter, Plan, Planner};
//! let options = CompareOptions { delete: true, ..CompareOptions::default() };
//! let sides = resolve_sides(Some("./data"), Some("hf://buckets/me/ckpts/run1"), &options).unwrap();
//! let mut planner = Planner::new(sides.direction, options, Filter::default());
//! planner.add_local("model.bin", 10, 1_700_000_000_000.0);
//! planner.add_remote(&sides.prefix, "run1/old.bin", 4, None).unwrap();
//! let plan = Plan { source: "./data".into(), dest: "hf://buckets/me/ckpts/run1".into(),
//!                   timestamp: "2026-12-03T14:17:53+00:00".into(), operations: planner.operations() };
//! assert_eq!(plan.summary().uploads, 1);
//! assert_eq!(plan.summary().deletes, 1);
//! assert_eq!(format_plan(&plan).lines().count(), 3);
//! ```

pub mod checksum;
pub mod filter;
pub mod plan;
pub mod planfile;
pub mod time;

pub use checksum::FileHasher;
pub use filter::{fnmatchcase, parse_filter_rules, Filter, FilterRule};
pub use plan::{
    check_relative_path, local_mtime_ms, relative_to_prefix, remote_mtime_ms, resolve_sides,
    Action, CompareOptions, Direction, Operation, Plan, Planner, Sides, Summary, TIME_WINDOW_MS,
};
pub use planfile::{format_plan, parse_plan};
pub use time::iso_from_ms;
