// Demo stand-in for an analytics tag. The page loads it as
// <script type="text/plain" data-kelisim-category="analytics" data-src="/demo/analytics.js">,
// so it runs only once the visitor accepts analytics.
window.demoLog("Аналитика скрипті жүктелді (analytics loaded)", "Скрипт аналитики загружен (analytics loaded)");
