x=a<(c=d<a<(c=d<a<(c=d<a<(c=d<a<(c=d<a<(c=d<a<(c=d<a<(c=d<
