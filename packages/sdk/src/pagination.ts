/**
 * A result, plus the server's request id for the call that produced it. `requestId` is not
 * enumerable: `JSON.stringify`, spreading and `Object.keys` see only the data, so results can be
 * stored or forwarded as they are. Copy the id out explicitly if you need it later.
 *
 * @example
 * const patient = await client.patients.get(id);
 * log.info({ requestId: patient.requestId }, 'patient read');
 * JSON.stringify(patient); // no requestId in here
 */
export type WithRequestId<T> = T & { readonly requestId: string };

/**
 * One page of a list, as the server sent it (`data`, `nextCursor`), and an async iterable over
 * every item of this page and the pages after it.
 *
 * @example
 * const page = await client.patients.list({ limit: 50 });
 * render(page.data);
 * const next = await page.nextPage(); // null on the last page
 *
 * for await (const patient of page) sync(patient); // this page, then the rest
 */
export interface Page<T> {
  data: T[];
  /** Pass as `cursor` to read the next page; `null` on the last page. */
  nextCursor: string | null;
  /** The server's request id for this page (not enumerable, like every result's). */
  readonly requestId: string;
  /** Reads the page after this one, or resolves to `null` on the last page. */
  nextPage(): Promise<Page<T> | null>;
  /** Every item from this page on, reading the next page only when this one is used up. */
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/**
 * What `list()` and `search()` return: await it for the first {@link Page}, or iterate it with
 * `for await` for every item across all pages. Nothing is requested until you do either.
 *
 * @example
 * const first = await client.bookings.list({ patientId });
 *
 * for await (const booking of client.bookings.list({ patientId, status: 'confirmed' })) {
 *   remind(booking);
 * }
 */
export interface PagePromise<T> extends PromiseLike<Page<T>>, AsyncIterable<T> {
  catch<R = never>(
    onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<Page<T> | R>;
  finally(onfinally?: (() => void) | null): Promise<Page<T>>;
}

export interface PageBody<T> {
  data: T[];
  nextCursor: string | null;
}

/** Reads the page a cursor points to. */
export type PageLoader<T> = (cursor: string) => Promise<Page<T>>;

class ListPage<T> implements Page<T> {
  data: T[];
  nextCursor: string | null;
  declare readonly requestId: string;
  readonly #load: PageLoader<T>;

  constructor(body: PageBody<T>, requestId: string, load: PageLoader<T>) {
    this.data = body.data;
    this.nextCursor = body.nextCursor;
    Object.defineProperty(this, 'requestId', { value: requestId, enumerable: false });
    this.#load = load;
  }

  nextPage(): Promise<Page<T> | null> {
    return this.nextCursor === null ? Promise.resolve(null) : this.#load(this.nextCursor);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* this.data;
    for (let page = await this.nextPage(); page !== null; page = await page.nextPage()) {
      yield* page.data;
    }
  }
}

class LazyPagePromise<T> implements PagePromise<T> {
  readonly #load: () => Promise<Page<T>>;
  #started: Promise<Page<T>> | undefined;

  constructor(load: () => Promise<Page<T>>) {
    this.#load = load;
  }

  then<A = Page<T>, B = never>(
    onfulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#first().then(onfulfilled, onrejected);
  }

  catch<R = never>(
    onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<Page<T> | R> {
    return this.#first().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.#first().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    yield* await this.#first();
  }

  #first(): Promise<Page<T>> {
    this.#started ??= this.#load();
    return this.#started;
  }
}

/** A page whose `nextPage()` and iteration read further pages through `load`. */
export function createPage<T>(body: PageBody<T>, requestId: string, load: PageLoader<T>): Page<T> {
  return new ListPage(body, requestId, load);
}

/** A list call that starts when it is first awaited or iterated, and only once. */
export function createPagePromise<T>(load: () => Promise<Page<T>>): PagePromise<T> {
  return new LazyPagePromise(load);
}
