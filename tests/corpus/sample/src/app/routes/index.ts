export interface Route {
  path: string;
  title: string;
  children?: Route[];
}

export const routes: Route[] = [
  { path: '/', title: 'Library' },
  {
    path: '/media',
    title: 'Media',
    children: [
      { path: '/media/:id', title: 'Details' },
      { path: '/media/:id/versions', title: 'Versions' },
    ],
  },
  { path: '/settings', title: 'Settings' },
];

export function match(pathname: string, list: readonly Route[] = routes): Route | undefined {
  for (const route of list) {
    const pattern = new RegExp('^' + route.path.replace(/:[^/]+/g, '[^/]+') + '$');
    if (pattern.test(pathname)) return route;
    const child = route.children && match(pathname, route.children);
    if (child) return child;
  }
  return undefined;
}

export const isActive = (el: Element) => el.classList.contains('active') || el.getAttribute('aria-current') === 'page';
export const startsWithSlash = (s: string) => s.startsWith('/');
