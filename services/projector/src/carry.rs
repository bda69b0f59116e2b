//! What the applier keeps of what it wrote: the records it changes most
//! (a service's catalogue entry, a stream's facts, the last page of a
//! subject's history or of a municipality's adopted services, the last
//! event block) stay in memory after their commit,
//! so that the next batch finds them there instead of reading them back
//! from sled and decoding them. A catch-up or a rebuild touches the same
//! municipalities' pages and the same adoptions again and again; reading
//! them back was a fifth of a rebuild's time at 10 million events.
//!
//! This is only right while the applier is the store's one writer, which
//! it is (`apply.rs`); whatever it kept is dropped when a batch fails and
//! when the store is replaced. Memory stays bounded: [`Recent`] keeps at
//! most its capacity of entries, the least recently used going first.

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// The keys come from the signed ledger, so a fast hasher will do.
type Hasher = foldhash::fast::RandomState;

/// A generation's entries, found by their key's hash, computed once per
/// lookup (a std `HashMap` hashed and probed each key four or five times
/// per change: a sixth of a fill's applier).
type Generation<K, V> = HashTable<(K, Kept<V>)>;

/// A value as it was last written or read, and whether the batch being
/// assembled changed it (so that the commit writes it).
#[derive(Debug, Clone)]
pub struct Kept<V> {
    pub value: V,
    pub changed: bool,
}

impl<V> Kept<V> {
    /// As read from the store: nothing to write.
    pub fn read(value: V) -> Self {
        Self {
            value,
            changed: false,
        }
    }
}

/// At most `capacity` entries in two generations: a lookup moves an
/// entry into the young one, and once the young one holds half the
/// capacity, the old one is dropped and the young one takes its place.
/// Dropping happens only in [`Recent::age`], after a commit, when no entry
/// holds an unwritten change; a batch that changes more entries than the
/// capacity keeps them all until then.
#[derive(Debug)]
pub struct Recent<K, V> {
    young: Generation<K, V>,
    old: Generation<K, V>,
    /// The keys changed since the last `take_changed`, each once, with
    /// their hashes.
    changed: Vec<(u64, K)>,
    hasher: Hasher,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V> Recent<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            young: HashTable::new(),
            old: HashTable::new(),
            changed: Vec::new(),
            hasher: Hasher::default(),
            capacity,
        }
    }

    /// The value of `key` to change, kept or else `read`; the next
    /// `take_changed` hands it out.
    pub fn change<E>(&mut self, key: &K, read: impl FnOnce() -> Result<V, E>) -> Result<&mut V, E> {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(key);
        let (_, kept) = match self.young.entry(
            hash,
            |(found, _)| found == key,
            |(found, _)| hasher.hash_one(found),
        ) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let kept = match self.old.find_entry(hash, |(found, _)| found == key) {
                    Ok(old) => old.remove().0.1,
                    Err(_) => Kept::read(read()?),
                };
                entry.insert((key.clone(), kept)).into_mut()
            }
        };
        if !kept.changed {
            kept.changed = true;
            self.changed.push((hash, key.clone()));
        }
        Ok(&mut kept.value)
    }

    /// Makes `f` of each changed entry, marking it as written.
    pub fn take_changed<R>(&mut self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Vec<R> {
        let mut made = Vec::with_capacity(self.changed.len());
        for (hash, key) in self.changed.drain(..) {
            // A changed entry stays young until the next `age`.
            if let Some((_, kept)) = self.young.find_mut(hash, |(found, _)| *found == key) {
                kept.changed = false;
                made.extend(f(&key, &kept.value));
            }
        }
        made
    }

    /// Drops the old generation once the young one is full; call after a
    /// commit, when nothing is changed.
    pub fn age(&mut self) {
        if self.young.len() >= self.capacity / 2 {
            self.old = std::mem::take(&mut self.young);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Reads = std::cell::Cell<u32>;

    fn change(recent: &mut Recent<u32, u32>, key: u32, reads: &Reads) -> u32 {
        let value = recent.change(&key, || {
            reads.set(reads.get() + 1);
            Ok::<_, ()>(key * 10)
        });
        *value.unwrap()
    }

    #[test]
    fn keeps_at_most_its_capacity_and_the_recently_used() {
        let reads = Reads::new(0);
        let mut recent = Recent::new(4);
        change(&mut recent, 0, &reads);
        change(&mut recent, 1, &reads);
        recent.take_changed(|_, _| Some(()));
        recent.age(); // the young generation is full: 0 and 1 become old
        assert_eq!((recent.len(), reads.get()), (2, 2));
        change(&mut recent, 0, &reads); // kept: back to the young
        change(&mut recent, 2, &reads);
        assert_eq!(reads.get(), 3);
        recent.take_changed(|_, _| Some(()));
        recent.age(); // 0 and 2 are young and full: 1 is let go
        change(&mut recent, 1, &reads);
        assert_eq!(reads.get(), 4, "1 was read again");
        for key in 3..100 {
            change(&mut recent, key, &reads);
            recent.take_changed(|_, _| Some(()));
            recent.age();
            assert!(recent.len() <= 4);
        }
    }

    #[test]
    fn hands_out_each_change_once_and_keeps_a_batch_whole() {
        let reads = Reads::new(0);
        let mut recent = Recent::new(2);
        for key in 0..5 {
            change(&mut recent, key, &reads);
            change(&mut recent, key, &reads);
        }
        let mut changed = recent.take_changed(|key, value| Some((*key, *value)));
        changed.sort();
        assert_eq!(changed, [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]);
        assert_eq!(recent.take_changed(|_, _| Some(())).len(), 0);
        assert_eq!(reads.get(), 5);
    }
}
