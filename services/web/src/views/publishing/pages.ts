// The publishing pages, loaded on first visit (the shell imports this lazily to keep the dashboard's JS small).
import './channels-page.ts';
import './bots-page.ts';
import './posts-page.ts';
import './publishing.css';
