"""Writes the files of COMMIT in the bare repository GITDIR into DEST: regular files up to
MAX_SIZE bytes whose blobs the repository holds (symlinks and submodules are left out)."""
import os
import subprocess
import sys

gitdir, commit, dest, max_size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
git = ["git", f"--git-dir={gitdir}"]
tree = subprocess.run(git + ["ls-tree", "-r", "-l", "-z", commit], check=True,
                      capture_output=True).stdout.split(b"\0")
wanted = []
for entry in tree:
    if not entry:
        continue
    meta, path = entry.split(b"\t", 1)
    mode, kind, sha, size = meta.split()
    if kind != b"blob" or mode not in (b"100644", b"100755") or not size.isdigit() \
            or int(size) > max_size:
        continue
    wanted.append((sha, path, mode))

batch = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
for sha, path, mode in wanted:
    batch.stdin.write(sha + b"\n")
    batch.stdin.flush()
    header = batch.stdout.readline().split()
    if len(header) < 3 or header[1] == b"missing":
        continue
    data = batch.stdout.read(int(header[2]))
    batch.stdout.read(1)
    target = os.path.join(dest.encode(), path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(data)
    if mode == b"100755":
        os.chmod(target, 0o755)
batch.stdin.close()
batch.wait()
