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
//! While an empty view store is filled, [`freed_pages_back_at_once`] has
//! mimalloc hand every page back as soon as it is free: the threads that
//! filled and freed sit idle afterwards, and what they freed stayed
//! resident at the fill's peak (about 140 MiB at 10 million events).
//! Not for always: on the read path it cost about a fifth of the
//! throughput (BENCHMARKS.md, "A rebuild's peak, phase by phase").
//!
//! This crate holds the workspace's only `unsafe` code: calls into
//! mimalloc's C API that take no pointer.

use std::sync::{Mutex, PoisonError};

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

/// mimalloc's `mi_option_purge_delay` (milliseconds a free page waits
/// before it is handed back; 0 at once, -1 never), as the `mimalloc.h` of
/// v3, the version built here, numbers it (v2's the same); the bindings
/// name no constant for it. The test below fails
/// should the number name another option.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The holders of [`FreedPagesBackAtOnce`], and the purge delay in force
/// before the first of them.
static AT_ONCE: Mutex<(usize, std::ffi::c_long)> = Mutex::new((0, 0));

/// While held, freed pages go back to the system at once; the delay in
/// force before returns when the last holder is dropped.
#[must_use = "freed pages go back at once only while this is held"]
#[derive(Debug)]
pub struct FreedPagesBackAtOnce(());

/// Has mimalloc hand each page back to the system as soon as it is free,
/// until the returned guard is dropped. For bulk work that allocates and
/// frees gigabytes on threads that then sit idle (filling an empty view
/// store, reading a replaced one once more).
pub fn freed_pages_back_at_once() -> FreedPagesBackAtOnce {
    let mut at_once = AT_ONCE.lock().unwrap_or_else(PoisonError::into_inner);
    if at_once.0 == 0 {
        at_once.1 = purge_delay();
        set_purge_delay(0);
    }
    at_once.0 += 1;
    FreedPagesBackAtOnce(())
}

impl Drop for FreedPagesBackAtOnce {
    fn drop(&mut self) {
        let mut at_once = AT_ONCE.lock().unwrap_or_else(PoisonError::into_inner);
        at_once.0 -= 1;
        if at_once.0 == 0 {
            set_purge_delay(at_once.1);
        }
    }
}

fn purge_delay() -> std::ffi::c_long {
    // SAFETY: `mi_option_get` takes an option number and no pointer; an
    // option is read under mimalloc's own synchronisation.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_get(PURGE_DELAY)
    }
}

fn set_purge_delay(milliseconds: std::ffi::c_long) {
    // SAFETY: `mi_option_set` takes an option number and a value, no
    // pointer; mimalloc reads its options at each use and documents
    // setting them at run time.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, milliseconds);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::{Mutex, PoisonError};

    /// The tests measure the whole process's resident memory: one at a time.
    static RESIDENT: Mutex<()> = Mutex::new(());

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
        let _one = RESIDENT.lock().unwrap_or_else(PoisonError::into_inner);
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

    /// 256 MiB allocated in small blocks on a thread of its own and freed
    /// there: resident pages with them and after them.
    fn resident_with_and_after_freeing() -> (u64, u64) {
        std::thread::spawn(|| {
            let freed: Vec<Vec<u8>> = (0..65_536).map(|_| vec![0xCD; 4096]).collect();
            let with_freed = resident_pages();
            drop(freed);
            (with_freed, resident_pages())
        })
        .join()
        .expect("the allocating thread ends")
    }

    #[test]
    fn freed_pages_go_back_at_once_only_while_asked_to() {
        let _one = RESIDENT.lock().unwrap_or_else(PoisonError::into_inner);
        const PAGE: u64 = 4096;
        let usual = super::purge_delay();
        // Never handed back unless asked: the freed pages stay.
        super::set_purge_delay(-1);
        let (with_freed, after) = resident_with_and_after_freeing();
        assert!(
            with_freed.saturating_sub(after) * PAGE < 64 << 20,
            "with purging off: resident {} MiB with the blocks, {} MiB after",
            (with_freed * PAGE) >> 20,
            (after * PAGE) >> 20
        );
        super::give_back_freed_memory();
        {
            let _at_once = super::freed_pages_back_at_once();
            let _nested = super::freed_pages_back_at_once();
            assert_eq!(super::purge_delay(), 0);
            let (with_freed, after) = resident_with_and_after_freeing();
            assert!(
                with_freed.saturating_sub(after) * PAGE > 192 << 20,
                "at once: resident {} MiB with the blocks, {} MiB after",
                (with_freed * PAGE) >> 20,
                (after * PAGE) >> 20
            );
        }
        assert_eq!(super::purge_delay(), -1, "the delay before is back");
        super::set_purge_delay(usual);
    }
}
