declare namespace NodeJS {
  interface ProcessEnv {
    readonly DATABASE_URL: string;
    readonly S3_BUCKET?: string;
    readonly NODE_ENV: 'development' | 'production' | 'test';
  }
}

declare module 'p-queue' {
  export interface Options {
    concurrency?: number;
    timeout?: number;
    throwOnTimeout?: boolean;
  }
  export default class PQueue {
    constructor(options?: Options);
    add<T>(fn: () => Promise<T>): Promise<T>;
    onIdle(): Promise<void>;
    readonly size: number;
    readonly pending: number;
  }
}

declare module '*.svg' {
  const content: string;
  export default content;
}

export type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Paths<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends object ? Paths<T[K], `${P}${K}.`> | `${P}${K}` : `${P}${K}`;
}[keyof T & string];

export declare function assertNever(value: never, message?: string): never;
export declare const enum LogLevel {
  Debug = 10,
  Info = 20,
  Warn = 30,
  Error = 40,
}
