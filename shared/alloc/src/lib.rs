//! The allocator the `efa` processes run on, and the one request they
//! make of it beyond allocating: to hand memory freed in bulk back to the
//! system now.
//!
//! mimalloc returns a freed page to the system only some time (a second by
//! default) after it became free, and only when a thread allocates or
//! frees again later. A projector that has just filled or rebuilt its
//! views frees gigabytes at once (the fill's page cache, what its applier
//! kept) and then mostly waits for queries, so that memory stayed
//! resident until the next restart: about 0.4 GB at 10 million events
//! (BENCHMARKS.md). [`give_back_freed_memory`] is called at those moments,
//! after a view store has read or built its index, and between reading the
//! index file and making the index from it.
//!
//! This crate holds the workspace's only `unsafe` code: one call into
//! mimalloc's C API that takes no pointer.

/// The global allocator of the `efa` binary and of the benchmarks.
pub use mimalloc::MiMalloc;

/// Has mimalloc collect the calling thread's free pages and return every
/// free page of its arenas to the system at once, without waiting for its
/// purge delay. Costs a few milliseconds; meant for after bulk work, not
/// for hot paths. Harmless where mimalloc is not the global allocator
/// (its heaps are then empty).
pub fn give_back_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers, reads no caller state and is
    // documented as callable from any thread at any time; it only walks
    // mimalloc's own structures under its own synchronisation.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[global_allocator]
    static ALLOCATOR: super::MiMalloc = super::MiMalloc;

    /// Resident pages of this process (`/proc/self/statm`, second field).
    fn resident_pages() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("read statm");
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|field| field.parse().ok())
            .expect("statm has a resident field")
    }

    #[test]
    fn freed_memory_goes_back_and_live_memory_stays() {
        const PAGE: u64 = 4096;
        let kept: Vec<Vec<u8>> = (0..64u8).map(|i| vec![i; 4096]).collect();
        // 256 MiB in small blocks, each page touched.
        let freed: Vec<Vec<u8>> = (0..65_536).map(|_| vec![0xAB; 4096]).collect();
        let with_freed = resident_pages();
        drop(freed);
        super::give_back_freed_memory();
        let after = resident_pages();
        assert!(
            with_freed.saturating_sub(after) * PAGE > 192 << 20,
            "resident {} MiB with the blocks, {} MiB after giving them back",
            (with_freed * PAGE) >> 20,
            (after * PAGE) >> 20
        );
        for (i, block) in kept.iter().enumerate() {
            assert!(block.iter().all(|&byte| usize::from(byte) == i));
        }
    }
}
