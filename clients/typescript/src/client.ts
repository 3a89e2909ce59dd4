// A small typed client over the generated types (src/schema.d.ts, from the OpenAPI
// document). It exists to be type-checked: if the document stops describing what a
// front end relies on (an operation, a required field, an enum, the quiz `view`
// discriminator, the error envelope), `tsc` fails in CI.
import type { components, operations, paths } from "./schema";

export type Schemas = components["schemas"];
export type ApiError = Schemas["Error"];
export type ErrorCode = ApiError["error_code"];

type JsonBody<T> = T extends { content: { "application/json": infer B } } ? B : never;
type Ok<Op> = Op extends { responses: infer R }
  ? R extends { 200: infer A } ? JsonBody<A> : R extends { 201: infer C } ? JsonBody<C> : never
  : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type Body<Op> = Op extends { requestBody: { content: { "application/json": infer B } } } ? B : never;

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly body: ApiError) {
    super(`${status} ${body.error_code}: ${body.message} (request ${body.request_id})`);
  }
}

export class Client {
  private accessToken: string | null = null;

  constructor(private readonly baseUrl: string) {}

  async login(body: Body<operations["auth_login"]>): Promise<Ok<operations["auth_login"]>> {
    const result = await this.call<Ok<operations["auth_login"]>>("POST", "/api/auth/login", { body });
    this.accessToken = result.access_token;
    return result;
  }

  me(): Promise<Ok<operations["users_me"]>> {
    return this.call("GET", "/api/auth/me");
  }

  listQuizzes(query: Query<operations["quizzes_quizzes_get"]> = {}): Promise<Ok<operations["quizzes_quizzes_get"]>> {
    return this.call("GET", "/api/quizzes", { query });
  }

  quiz(quizId: string): Promise<Ok<operations["quizzes_quiz_item_get"]>> {
    return this.call("GET", `/api/quizzes/${encodeURIComponent(quizId)}`);
  }

  startQuiz(quizId: string, body: Body<operations["attempts_start_quiz"]>): Promise<Ok<operations["attempts_start_quiz"]>> {
    return this.call("POST", `/api/quizzes/${encodeURIComponent(quizId)}/start`, { body });
  }

  notifications(query: Query<operations["notifications_notifications_get"]> = {}) {
    return this.call<Ok<operations["notifications_notifications_get"]>>("GET", "/api/notifications", { query });
  }

  private async call<T>(method: string, path: keyof paths | string,
                        options: { body?: unknown; query?: Record<string, unknown> } = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, Array.isArray(value) ? value.join(",") : String(value));
    }
    const headers: Record<string, string> = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (this.accessToken) headers["Authorization"] = `Bearer ${this.accessToken}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    const response = await fetch(url, init);
    if (!response.ok) throw new ApiFailure(response.status, (await response.json()) as ApiError);
    return (await response.json()) as T;
  }
}

// --- what a screen does with the answers: each line leans on the document's precision --

/** The quiz list: staff and students get different items, told apart by `view`. */
export function quizTitles(page: Ok<operations["quizzes_quizzes_get"]>): string[] {
  if (page.view === "student") {
    return page.items.map((quiz) => `${quiz.title} (${quiz.attempts_remaining} left)`);
  }
  return page.items.map((quiz) => `${quiz.title} [${quiz.status}]`);
}

/** One quiz: only the staff view has questions with their answer keys. */
export function answerKeys(quiz: Ok<operations["quizzes_quiz_item_get"]>): number {
  switch (quiz.view) {
    case "staff":
      return quiz.questions.filter((question) => question.correct_answer !== null).length;
    case "student":
      return 0;
  }
}

/** Enums are closed: a switch over a role must cover every value. */
export function homePage(user: Ok<operations["users_me"]>): string {
  switch (user.role) {
    case "admin":
      return "/admin";
    case "teacher":
      return "/teacher";
    case "student":
      return `/student/${user.registration_number ?? ""}`;
  }
}

/** Errors carry a closed set of codes and the request id. */
export function describeFailure(failure: ApiFailure): string {
  const code: ErrorCode = failure.body.error_code;
  if (code === "TOKEN_EXPIRED" || code === "TOKEN_REVOKED") return "Please sign in again";
  return `${failure.body.message} (quote ${failure.body.request_id})`;
}

/** Ordering takes only the list's keys, each optionally descending. */
export const newestFirst: Query<operations["quizzes_quizzes_get"]> = { ordering: ["-created_at", "title"] };
