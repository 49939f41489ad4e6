/work/main/vendor/loom/target/release/deps/loom-5a4cfd90219ec098.d: src/lib.rs src/rt/mod.rs src/rt/location.rs src/rt/access.rs src/rt/alloc.rs src/rt/arc.rs src/rt/atomic.rs src/rt/cell.rs src/rt/condvar.rs src/rt/distinct.rs src/rt/execution.rs src/rt/notify.rs src/rt/num.rs src/rt/object.rs src/rt/mpsc.rs src/rt/mutex.rs src/rt/path.rs src/rt/kmodel_graph.rs src/rt/kmodel_ghost.rs src/rt/rwlock.rs src/rt/scheduler.rs src/rt/synchronize.rs src/rt/lazy_static.rs src/rt/thread.rs src/rt/vv.rs src/alloc.rs src/cell/mod.rs src/cell/cell.rs src/cell/unsafe_cell.rs src/hint.rs src/lazy_static.rs src/model.rs src/sync/mod.rs src/sync/arc.rs src/sync/atomic/mod.rs src/sync/atomic/atomic.rs src/sync/atomic/bool.rs src/sync/atomic/int.rs src/sync/atomic/ptr.rs src/sync/barrier.rs src/sync/condvar.rs src/sync/mpsc.rs src/sync/mutex.rs src/sync/notify.rs src/sync/rwlock.rs src/thread.rs

/work/main/vendor/loom/target/release/deps/libloom-5a4cfd90219ec098.rlib: src/lib.rs src/rt/mod.rs src/rt/location.rs src/rt/access.rs src/rt/alloc.rs src/rt/arc.rs src/rt/atomic.rs src/rt/cell.rs src/rt/condvar.rs src/rt/distinct.rs src/rt/execution.rs src/rt/notify.rs src/rt/num.rs src/rt/object.rs src/rt/mpsc.rs src/rt/mutex.rs src/rt/path.rs src/rt/kmodel_graph.rs src/rt/kmodel_ghost.rs src/rt/rwlock.rs src/rt/scheduler.rs src/rt/synchronize.rs src/rt/lazy_static.rs src/rt/thread.rs src/rt/vv.rs src/alloc.rs src/cell/mod.rs src/cell/cell.rs src/cell/unsafe_cell.rs src/hint.rs src/lazy_static.rs src/model.rs src/sync/mod.rs src/sync/arc.rs src/sync/atomic/mod.rs src/sync/atomic/atomic.rs src/sync/atomic/bool.rs src/sync/atomic/int.rs src/sync/atomic/ptr.rs src/sync/barrier.rs src/sync/condvar.rs src/sync/mpsc.rs src/sync/mutex.rs src/sync/notify.rs src/sync/rwlock.rs src/thread.rs

/work/main/vendor/loom/target/release/deps/libloom-5a4cfd90219ec098.rmeta: src/lib.rs src/rt/mod.rs src/rt/location.rs src/rt/access.rs src/rt/alloc.rs src/rt/arc.rs src/rt/atomic.rs src/rt/cell.rs src/rt/condvar.rs src/rt/distinct.rs src/rt/execution.rs src/rt/notify.rs src/rt/num.rs src/rt/object.rs src/rt/mpsc.rs src/rt/mutex.rs src/rt/path.rs src/rt/kmodel_graph.rs src/rt/kmodel_ghost.rs src/rt/rwlock.rs src/rt/scheduler.rs src/rt/synchronize.rs src/rt/lazy_static.rs src/rt/thread.rs src/rt/vv.rs src/alloc.rs src/cell/mod.rs src/cell/cell.rs src/cell/unsafe_cell.rs src/hint.rs src/lazy_static.rs src/model.rs src/sync/mod.rs src/sync/arc.rs src/sync/atomic/mod.rs src/sync/atomic/atomic.rs src/sync/atomic/bool.rs src/sync/atomic/int.rs src/sync/atomic/ptr.rs src/sync/barrier.rs src/sync/condvar.rs src/sync/mpsc.rs src/sync/mutex.rs src/sync/notify.rs src/sync/rwlock.rs src/thread.rs

src/lib.rs:
src/rt/mod.rs:
src/rt/location.rs:
src/rt/access.rs:
src/rt/alloc.rs:
src/rt/arc.rs:
src/rt/atomic.rs:
src/rt/cell.rs:
src/rt/condvar.rs:
src/rt/distinct.rs:
src/rt/execution.rs:
src/rt/notify.rs:
src/rt/num.rs:
src/rt/object.rs:
src/rt/mpsc.rs:
src/rt/mutex.rs:
src/rt/path.rs:
src/rt/kmodel_graph.rs:
src/rt/kmodel_ghost.rs:
src/rt/rwlock.rs:
src/rt/scheduler.rs:
src/rt/synchronize.rs:
src/rt/lazy_static.rs:
src/rt/thread.rs:
src/rt/vv.rs:
src/alloc.rs:
src/cell/mod.rs:
src/cell/cell.rs:
src/cell/unsafe_cell.rs:
src/hint.rs:
src/lazy_static.rs:
src/model.rs:
src/sync/mod.rs:
src/sync/arc.rs:
src/sync/atomic/mod.rs:
src/sync/atomic/atomic.rs:
src/sync/atomic/bool.rs:
src/sync/atomic/int.rs:
src/sync/atomic/ptr.rs:
src/sync/barrier.rs:
src/sync/condvar.rs:
src/sync/mpsc.rs:
src/sync/mutex.rs:
src/sync/notify.rs:
src/sync/rwlock.rs:
src/thread.rs:
