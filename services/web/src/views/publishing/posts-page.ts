import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html } from 'lit';
import { asProblem } from '../../api/problem.ts';
import { publishingText } from '../../i18n/problems.ts';
import { telegram } from '../../telegram.ts';
import { View, states } from '../base.ts';
import { heading, loading, taskView } from '../states.ts';
import { notify } from '../toast.ts';
import { publishing, type Post, type Target } from './api.ts';
import { confirmDialog } from './confirm.ts';
import { postList, type PostActions } from './post-card.ts';
import './post-composer.ts';
import { userTimeZone } from './words.ts';

/** While something is still to be sent, the list is read again this often (stops when nothing is pending). */
const POLL_MS = 2000;

/**
 * Posts: the composer (`cf-post-composer`) and the list of scheduled and sent posts with each target's state,
 * its t.me link, edit/cancel and retry. The list is read again every {@link POLL_MS} while a target is pending.
 */
export class PostsPage extends View {
  static override properties = states('editing', 'cancelling', 'busy', 'dialogError');
  declare editing: Post | undefined;
  declare cancelling: Post | undefined;
  /** The post or target id a request is under way for. */
  declare busy: string | undefined;
  declare dialogError: string | undefined;
  private poll: ReturnType<typeof setTimeout> | undefined;

  private readonly options = new Task(this, {
    task: async () => {
      const [channels, bots, accounts] = await Promise.all([
        publishing.channels(),
        publishing.bots(),
        telegram.accounts(),
      ]);
      return { channels, bots, accounts };
    },
    args: () => [] as const,
  });

  private readonly posts = new Task(this, {
    task: async () => publishing.posts(),
    args: () => [] as const,
    onComplete: (posts) => this.schedulePoll(posts),
  });

  private readonly actions: PostActions = {
    busy: undefined,
    retry: (post, target) => void this.retry(post, target),
    edit: (post) => (this.editing = post),
    cancel: (post) => (this.cancelling = post),
  };

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.poll);
    this.poll = undefined;
  }

  private schedulePoll(posts: Post[]): void {
    clearTimeout(this.poll);
    const pending = posts.some((post) =>
      post.targets.some((target) => target.state === 'scheduled' || target.state === 'sending'),
    );
    if (pending && this.isConnected) this.poll = setTimeout(() => void this.posts.run(), POLL_MS);
  }

  private async retry(post: Post, target: Target): Promise<void> {
    this.busy = target.id;
    try {
      await publishing.retryTarget(post.id, target.id);
      notify(msg('Sending again.', { id: 'post.retrying' }));
      void this.posts.run();
    } catch (error) {
      notify(publishingText(asProblem(error), 'target'), 'danger');
    } finally {
      this.busy = undefined;
    }
  }

  private async cancel(): Promise<void> {
    const post = this.cancelling;
    if (post === undefined) return;
    this.busy = post.id;
    this.dialogError = undefined;
    try {
      await publishing.cancelPost(post.id);
      this.cancelling = undefined;
      notify(msg('The post is cancelled.', { id: 'post.cancelled' }));
      void this.posts.run();
    } catch (error) {
      this.dialogError = publishingText(asProblem(error), 'post');
    } finally {
      this.busy = undefined;
    }
  }

  private composerDone(event: CustomEvent<{ saved: boolean }>): void {
    this.editing = undefined;
    if (event.detail.saved) void this.posts.run();
  }

  override render() {
    const options = this.options.value;
    const actions = { ...this.actions, busy: this.busy };
    return html`${heading(
        msg('Posts', { id: 'route.posts' }),
        msg(str`Compose, schedule and follow your posts. Times are in ${userTimeZone()}.`, { id: 'post.subtitle' }),
      )}
      ${taskView(
        this.options,
        ({ channels, bots, accounts }) =>
          html`<cf-post-composer
            .channels=${channels}
            .bots=${bots}
            .accounts=${accounts}
            .editing=${this.editing}
            @cf-composer-done=${this.composerDone}
          ></cf-post-composer>`,
        { rows: 4 },
      )}
      <h2>${msg('Scheduled and sent', { id: 'post.list' })}</h2>
      ${taskView(
        this.posts,
        (posts) => (options !== undefined ? postList(posts, options.channels, options.bots, actions) : loading(3)),
        { rows: 3, keep: true },
      )}
      ${confirmDialog({
        open: this.cancelling !== undefined,
        label: msg('Cancel this post?', { id: 'post.confirm-title' }),
        body: msg('It will not be sent to any of its channels.', { id: 'post.confirm-body' }),
        confirm: msg('Cancel post', { id: 'post.cancel' }),
        busy: this.busy !== undefined && this.busy === this.cancelling?.id,
        error: this.dialogError,
        onConfirm: () => void this.cancel(),
        onClose: () => {
          this.cancelling = undefined;
          this.dialogError = undefined;
        },
      })}`;
  }
}
customElements.define('cf-posts-page', PostsPage);
