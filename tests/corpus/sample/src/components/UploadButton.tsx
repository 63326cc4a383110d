import * as React from 'react';

type State = { kind: 'idle' } | { kind: 'uploading'; done: number; total: number } | { kind: 'error'; message: string };

export default function UploadButton({ endpoint, concurrency = 3 }: { endpoint: string; concurrency?: number }) {
  const [state, setState] = React.useState<State>({ kind: 'idle' });
  const input = React.useRef<HTMLInputElement>(null);

  async function upload(files: File[]) {
    setState({ kind: 'uploading', done: 0, total: files.length });
    let done = 0;
    const queue = [...files];
    const workers = Array.from({ length: Math.min(concurrency, files.length) }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const body = new FormData();
        body.set('file', file);
        const response = await fetch(endpoint, { method: 'POST', body });
        if (!response.ok) throw new Error(`${file.name}: HTTP ${response.status}`);
        setState({ kind: 'uploading', done: ++done, total: files.length });
      }
    });
    try {
      await Promise.all(workers);
      setState({ kind: 'idle' });
    } catch (error) {
      setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <div>
      <input ref={input} type="file" multiple hidden onChange={(e) => void upload(Array.from(e.currentTarget.files ?? []))} />
      <button type="button" disabled={state.kind === 'uploading'} onClick={() => input.current?.click()}>
        {state.kind === 'uploading' ? `Uploading ${state.done}/${state.total}` : 'Upload'}
      </button>
      {state.kind === 'error' ? <p role="alert">{state.message}</p> : null}
    </div>
  );
}
