#!/usr/bin/env python3
"""Writes the archive fixtures of ArchiveTests.swift into archives/ (Python's zipfile and tarfile).

Good archives hold the same tree: a.txt, dir/b.bin (deflated), dir/c.txt (stored in zip),
an empty folder empty/, a long path (> 100 characters, pax/GNU records in tar), and an
in-root symbolic link link-to-a -> a.txt. Evil archives each try one way out of the root.
Deterministic: fixed timestamps, so rerunning gives the same bytes.
"""
import gzip
import io
import os
import tarfile
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "archives")
B_BIN = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(100_000))
LONG = "long/" + "x" * 60 + "/" + "y" * 60 + "/file.txt"
FILES = {"a.txt": b"hello\n", "dir/b.bin": B_BIN, "dir/c.txt": b"stored text\n", LONG: b"long name\n"}
MTIME = 1_600_000_000


def tar_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), MTIME, 0o644
    tar.addfile(info, io.BytesIO(data))


def tar_entry(tar, name, kind, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, target, MTIME
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o777
    tar.addfile(info)


def good_tar(path, fmt, compress):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        tar_entry(tar, "empty", tarfile.DIRTYPE)
        for name, data in FILES.items():
            tar_file(tar, name, data)
        tar_entry(tar, "link-to-a", tarfile.SYMTYPE, "a.txt")
        tar_entry(tar, "dir/hard-c.txt", tarfile.LNKTYPE, "dir/c.txt")
    data = gzip.compress(buffer.getvalue(), mtime=0) if compress else buffer.getvalue()
    with open(path, "wb") as out:
        out.write(data)


def zip_symlink(z, name, target):
    info = zipfile.ZipInfo(name, date_time=(2020, 9, 13, 12, 26, 40))
    info.create_system = 3
    info.external_attr = (0o120777 << 16)
    z.writestr(info, target)


def zip_file(z, name, data, method):
    info = zipfile.ZipInfo(name, date_time=(2020, 9, 13, 12, 26, 40))
    info.create_system = 3
    info.external_attr = (0o100644 << 16)
    info.compress_type = method
    z.writestr(info, data)


def good_zip(path):
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("empty/", date_time=(2020, 9, 13, 12, 26, 40))
        info.create_system = 3
        info.external_attr = (0o040755 << 16) | 0x10
        z.writestr(info, b"")
        for name, data in FILES.items():
            zip_file(z, name, data, zipfile.ZIP_STORED if name == "dir/c.txt" else zipfile.ZIP_DEFLATED)
        zip_symlink(z, "link-to-a", "a.txt")


def evil_tar(name, build):
    with tarfile.open(os.path.join(OUT, name), "w", format=tarfile.GNU_FORMAT) as tar:
        build(tar)


def evil_zip(name, build):
    with zipfile.ZipFile(os.path.join(OUT, name), "w") as z:
        build(z)


def main():
    os.makedirs(OUT, exist_ok=True)
    good_tar(os.path.join(OUT, "good.tar.gz"), tarfile.PAX_FORMAT, compress=True)
    good_tar(os.path.join(OUT, "good-gnu.tar"), tarfile.GNU_FORMAT, compress=False)
    good_zip(os.path.join(OUT, "good.zip"))
    evil_tar("evil-absolute.tar", lambda t: tar_file(t, "/tmp/spikelab-evil-absolute.txt", b"evil\n"))
    evil_tar("evil-dotdot.tar", lambda t: (tar_file(t, "ok.txt", b"fine\n"), tar_file(t, "sub/../../evil-dotdot.txt", b"evil\n")))
    evil_tar("evil-symlink-absolute.tar", lambda t: tar_entry(t, "etc-link", tarfile.SYMTYPE, "/etc"))
    evil_tar("evil-symlink-out.tar", lambda t: tar_entry(t, "sub/out", tarfile.SYMTYPE, "../../outside"))
    evil_tar("evil-hardlink-out.tar", lambda t: tar_entry(t, "passwd", tarfile.LNKTYPE, "../outside/secret.txt"))
    # A link that stays inside, then a file written through it: refused, since the link on disk could be swapped.
    evil_tar("evil-through-link.tar", lambda t: (tar_entry(t, "d", tarfile.DIRTYPE), tar_entry(t, "alias", tarfile.SYMTYPE, "d"),
                                                 tar_file(t, "alias/evil.txt", b"evil\n")))
    evil_zip("evil-dotdot.zip", lambda z: zip_file(z, "../evil-dotdot.txt", b"evil\n", zipfile.ZIP_DEFLATED))
    evil_zip("evil-absolute.zip", lambda z: zip_file(z, "/tmp/spikelab-evil-absolute.txt", b"evil\n", zipfile.ZIP_DEFLATED))
    evil_zip("evil-symlink-out.zip", lambda z: zip_symlink(z, "out", "../outside"))


if __name__ == "__main__":
    main()
