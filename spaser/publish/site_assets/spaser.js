// Tableau de bord SPASER : choix du périmètre (aucune dépendance, fonctionne hors ligne).
// Chaque bloc propre à un périmètre porte data-perimetre ; le choix est mémorisé d'une page à l'autre.
(function () {
  "use strict";
  var CLE = "spaser.perimetre";
  var PAR_DEFAUT = "TOUS";

  function memorise() {
    try { return window.localStorage.getItem(CLE); } catch (e) { return null; }
  }

  function choisir(perimetre) {
    var boutons = document.querySelectorAll("[data-choix-perimetre]");
    var connu = false;
    boutons.forEach(function (bouton) {
      var actif = bouton.getAttribute("data-choix-perimetre") === perimetre;
      connu = connu || actif;
      bouton.setAttribute("aria-pressed", actif ? "true" : "false");
    });
    if (!connu) { perimetre = PAR_DEFAUT; }
    document.querySelectorAll("[data-perimetre]").forEach(function (bloc) {
      bloc.hidden = bloc.getAttribute("data-perimetre") !== perimetre;
    });
    document.body.setAttribute("data-perimetre-choisi", perimetre);
    try { window.localStorage.setItem(CLE, perimetre); } catch (e) { /* stockage indisponible : choix non mémorisé */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-choix-perimetre]").forEach(function (bouton) {
      bouton.addEventListener("click", function () { choisir(bouton.getAttribute("data-choix-perimetre")); });
    });
    choisir(memorise() || PAR_DEFAUT);
  });
})();
