/**
 * Asks for the API key in a modal dialog, once however many requests were refused at the same time; resolves with
 * the key typed, or rejects when the dialog is dismissed (Escape) without one.
 */
export class KeyDialog {
  private pending: Promise<string> | undefined;

  constructor(private readonly dialog: HTMLDialogElement) {}

  ask(reason: string): Promise<string> {
    if (this.pending) return this.pending;
    const form = this.dialog.querySelector("form")!;
    const input = this.dialog.querySelector("input")!;
    this.dialog.querySelector("#key-reason")!.textContent = reason;
    input.value = "";
    this.pending = new Promise<string>((resolve, reject) => {
      const submit = (event: SubmitEvent): void => {
        event.preventDefault();
        const key = input.value.trim();
        if (key === "") return;
        settle();
        this.dialog.close();
        resolve(key);
      };
      const closed = (): void => {
        settle();
        reject(new Error("No API key given: the server refuses requests without one."));
      };
      const settle = (): void => {
        form.removeEventListener("submit", submit);
        this.dialog.removeEventListener("close", closed);
        this.pending = undefined;
      };
      form.addEventListener("submit", submit);
      this.dialog.addEventListener("close", closed);
    });
    this.dialog.showModal();
    input.focus();
    return this.pending;
  }
}
