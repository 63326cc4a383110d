<a:b.c>
