//! `--shard I/N`: a deterministic slice of the input files, so that CI can split one scan
//! across jobs and `report merge` can put the slices back together.

/// A deterministic slice of the inputs: shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: expected I/N, e.g. 2/4"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: I is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s:?}: N is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("--shard {s:?}: need 1 ≤ I ≤ N"));
        }
        Ok(Shard { index, count })
    }

    /// Does the file shown as `path` belong to this shard? A stable hash of the path (FNV-1a),
    /// so the split does not depend on which files exist or their order.
    pub fn owns(&self, path: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in path.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        (h % self.count as u64) as usize == self.index - 1
    }
}
