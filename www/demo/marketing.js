// Demo stand-in for an advertising pixel: runs only once marketing is accepted.
window.demoLog("Жарнама пикселі жүктелді (marketing loaded)", "Рекламный пиксель загружен (marketing loaded)");
