//! Test set-up shared by the download tests: a file stored in a mock CAS by the real upload
//! pipeline (1 MiB xorbs, so a few MiB make several).

use std::rc::Rc;

use xet::Hash;

use crate::cas::mock::{client, MockCas};
use crate::cas::CasClient;
use crate::transport::Cancel;
use crate::upload::plan::PlannerConfig;
use crate::upload::{upload_files, BytesSource, UploadFile, UploadOptions};

/// Uploads `data` as one file into `mock`; returns the client and the file hash.
pub(crate) async fn stored(mock: &Rc<MockCas>, data: &[u8]) -> (Rc<CasClient>, Hash) {
    let (cas, _) = client(mock);
    let files = vec![UploadFile {
        path: "f".into(),
        source: Box::new(BytesSource::new(data.to_vec(), 1 << 20)),
    }];
    let options = UploadOptions {
        planner: PlannerConfig {
            max_xorb_bytes: 1 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let r = upload_files(&cas, files, options, None, &Cancel::new())
        .await
        .unwrap();
    (cas, r.files[0].hash)
}
