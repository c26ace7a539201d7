-- Take the writer's turn on a shared lake: a concurrent writer that also took it fails at commit.
update ops.write_guard
set turns = turns + 1
