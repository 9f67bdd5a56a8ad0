import './design/setup.ts';
import './styles.css';
import { watchSystemTheme } from './design/theme.ts';
import './app.ts';

watchSystemTheme();
