// Loaded as a module from 'self' so the Content-Security-Policy needs no inline script.
import { initAll } from "../build/govuk-frontend.min.js";
import { initJobProgress } from "./job-progress.mjs";
import { initPasteGrids } from "./paste-grid.mjs";

initAll();
initPasteGrids();
initJobProgress();
